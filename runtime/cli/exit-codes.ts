// Exit codes of every remora command (shared/docs/interface.md).
export const EXIT_OK = 0;
/** The proxy failed while running (a port in use, a crash). */
export const EXIT_RUNTIME = 1;
/** Bad config or bad arguments; the message names the file, the field path and the expectation. */
export const EXIT_BAD_INPUT = 2;

