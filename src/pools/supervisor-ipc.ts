/** What a supervised child (the worker, the API under `npm start`) tells its supervisor. */
export type SupervisorMessage = { type: 'ready'; url?: string };

/** Sends a message when this process runs under a supervisor with an IPC channel; otherwise does nothing. */
export function tellSupervisor(message: SupervisorMessage): void {
  if (process.send && process.connected) process.send(message);
}

/**
 * A supervised child whose supervisor is gone (SIGKILLed, crashed) shuts itself down gracefully rather than
 * running on unsupervised: the IPC channel closes with the parent, and SIGTERM takes the usual drain path.
 */
export function followSupervisor(): void {
  if (!process.send) return;
  process.once('disconnect', () => process.kill(process.pid, 'SIGTERM'));
  // An open IPC channel keeps a process alive: it must not outlast the child's own shutdown.
  process.channel?.unref();
}
