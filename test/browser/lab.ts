/**
 * A real JupyterLab for the browser tests: `scripts/jupyter.sh lab` on a free port, with settings of
 * its own (every cell rendered), started once per test file (it is slow on 2 cores).
 */
import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import { JUPYTER_SH } from "../helpers/notebooks";
import { ROOT } from "./chromium";

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}

/** A JupyterLab server of a test: the URL of a notebook in it, and how to stop it with its kernels. */
export interface Lab {
  /** The URL opening `notebook` (with the token). */
  url: string;
  /** The URL opening another notebook of the same root. */
  urlOf(notebook: string): string;
  stop(): Promise<void>;
}

/**
 * `scripts/jupyter.sh lab` serving `root`, in a process group of its own (stopped with its kernels).
 * `env` reaches the kernels (the notebooks' STREAMLAB_* parameters).
 */
export async function startLab(root: string, notebook: string, env: Record<string, string> = {}): Promise<Lab> {
  const port = await freePort();
  const token = "streamlab-test";
  // Settings of this run only: render every cell (by default JupyterLab renders the cells near the viewport).
  const settings = path.join(root, ".lab-settings");
  fs.mkdirSync(path.join(settings, "@jupyterlab", "notebook-extension"), { recursive: true });
  fs.writeFileSync(path.join(settings, "@jupyterlab", "notebook-extension", "tracker.jupyterlab-settings"), JSON.stringify({ windowingMode: "none" }));
  // No "get notified about Jupyter news?" toast over the screenshots (and no request for news).
  fs.mkdirSync(path.join(settings, "@jupyterlab", "apputils-extension"), { recursive: true });
  fs.writeFileSync(path.join(settings, "@jupyterlab", "apputils-extension", "notification.jupyterlab-settings"), JSON.stringify({ fetchNews: "false" }));
  const child: ChildProcess = spawn("bash", [JUPYTER_SH, "lab", "--no-browser", `--port=${port}`, "--ip=127.0.0.1", `--ServerApp.token=${token}`, `--ServerApp.root_dir=${root}`, `--LabApp.user_settings_dir=${settings}`], {
    cwd: ROOT, env: { ...process.env, STREAMLAB_SKIP_BUILD: "1", ...env }, stdio: "ignore", detached: true,
  });
  const base = `http://127.0.0.1:${port}`;
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.pid === undefined) return;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    process.kill(-child.pid, "SIGTERM");
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 15_000))]);
    if (child.exitCode === null) process.kill(-child.pid, "SIGKILL");
  };
  for (let i = 0; i < 240; i++) {
    const up = await fetch(`${base}/api/status?token=${token}`).then((r) => r.ok, () => false);
    const urlOf = (nb: string) => `${base}/lab/tree/${nb}?token=${token}`;
    if (up) return { url: urlOf(notebook), urlOf, stop };
    if (child.exitCode !== null) break;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  await stop();
  throw new Error("JupyterLab did not start (bash scripts/jupyter.sh lab); run it by hand to see why.");
}

