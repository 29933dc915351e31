// A signed-in user whose role has no console page: the header only.
import { startShell } from "./shell.js";

startShell();
