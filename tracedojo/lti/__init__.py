"""tracedojo as an LTI 1.3 tool: a thin FastAPI adapter over pylti1p3 (the maintained pylti1p3next fork)."""
