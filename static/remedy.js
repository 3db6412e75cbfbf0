// Remedy's own script: start GOV.UK Frontend's components.
import { initAll } from "/assets/govuk-frontend.min.js";

initAll();
