/** Progress on stderr: a bar on a terminal, a line every 10 % otherwise, nothing with --json. */
import cliProgress from 'cli-progress';

export function progressReporter(total: number, json: boolean, stderr: NodeJS.WritableStream): { update: (done: number, total: number) => void; stop: () => void } {
  if (json || total === 0) return { update: () => {}, stop: () => {} };
  const tty = (stderr as NodeJS.WriteStream).isTTY;
  if (tty) {
    const bar = new cliProgress.SingleBar(
      { stream: stderr as NodeJS.WriteStream, format: '{bar} {percentage}% | {value}/{total} | {eta_formatted} left', hideCursor: true },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total, 0);
    return { update: (done) => bar.update(done), stop: () => bar.stop() };
  }
  let lastDecile = 0;
  return {
    update: (done, t) => {
      const decile = Math.floor((done / t) * 10);
      if (decile > lastDecile) {
        lastDecile = decile;
        stderr.write(`… ${done}/${t} (${decile * 10}%)\n`);
      }
    },
    stop: () => {},
  };
}
