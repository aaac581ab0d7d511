// The lesson stepper and the replay of a learner's run (lesson and result pages).
import "../stepper/stepper.css";
import { boot } from "../stepper/stepper.js";

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", boot);
else boot();
