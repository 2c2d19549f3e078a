const STOP_SIGNALS = ["SIGTERM", "SIGINT"] as const;

/** Resolves on the first SIGTERM/SIGINT; a second one exits at once. */
export function stopRequested(): { signal: Promise<string>; dispose(): void } {
  let received = false;
  let resolve: (signal: string) => void = () => undefined;
  const signal = new Promise<string>((r) => (resolve = r));
  const onSignal = (name: NodeJS.Signals) => {
    if (received) process.exit(130);
    received = true;
    resolve(name);
  };
  for (const name of STOP_SIGNALS) process.on(name, onSignal);
  return {
    signal,
    dispose: () => {
      for (const name of STOP_SIGNALS) process.off(name, onSignal);
    },
  };
}
