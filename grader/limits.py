"""The grader's limits and timeouts, in one typed object."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class Limits(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    step_timeout: float = Field(default=2.0, gt=0, le=60, description="seconds one trace step may take")
    load_timeout: float = Field(default=5.0, gt=0, le=120, description="seconds to import the submission")
    submission_timeout: float = Field(default=30.0, gt=0, le=600, description="wall seconds for a whole submission")
    cpu_seconds: int = Field(default=10, ge=1, le=600, description="CPU seconds for the sandboxed child")
    memory_mb: int = Field(
        default=256,
        ge=32,
        le=8192,
        description="memory on top of the warm interpreter: each process's address space, and all of a "
        "submission's processes together (grader/_memory.py)",
    )
    processes: int = Field(default=24, ge=4, le=1024, description="processes and threads of the child")
    open_files: int = Field(default=64, ge=16, le=4096)
    file_size_kb: int = Field(default=1024, ge=16, description="largest file the child may write")
    tmp_size_kb: int = Field(default=8192, ge=64, description="size of the child's private /tmp")
    output_bytes: int = Field(default=8192, ge=256, description="stdout/stderr kept in the result")
    code_bytes: int = Field(default=65536, ge=1024, description="largest submission accepted")
    frame_bytes: int = Field(default=1 << 20, ge=1024, description="largest WebSocket message accepted from the child")
