/**
 * `--baseline <ref>`: the commit to compare the current src/ against. It is checked out into a
 * temporary, detached git worktree only while its src/ is bundled: once the bundle exists under
 * node_modules/.cache the checkout is not needed, so it is removed right away (and on failure or
 * a signal), and a long run never leaves a worktree registered if it is killed.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BaselineInfo } from '../types.js';

/** Runs git in `repoDir` and returns its trimmed stdout; throws with git's own stderr. */
function git(repoDir: string, args: readonly string[]): string {
  return execFileSync('git', args, { cwd: repoDir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

function gitError(error: unknown): string {
  const stderr = (error as { stderr?: unknown }).stderr;
  const text = typeof stderr === 'string' ? stderr.trim() : '';
  return text === '' ? '' : ` (${text.split('\n')[0] ?? ''})`;
}

/** A branch or tag reads better in the report than a hash; anything relative (HEAD, HEAD~2) does not. */
function labelOf(repoDir: string, ref: string, commit: string): string {
  const full = git(repoDir, ['rev-parse', '--symbolic-full-name', ref]);
  const named = ['refs/heads/', 'refs/tags/', 'refs/remotes/'].some((prefix) => full === `${prefix}${ref}`);
  return named ? ref : git(repoDir, ['rev-parse', '--short', commit]);
}

/** Resolves `ref` to a commit that has a src/index.ts, or throws a message naming the flag. */
export function resolveBaseline(repoDir: string, ref: string): BaselineInfo {
  let commit: string;
  try {
    commit = git(repoDir, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]);
  } catch (error) {
    throw new Error(`Expected \`--baseline\` to name a commit of this git repository, got \`${ref}\`${gitError(error)}`);
  }
  try {
    git(repoDir, ['cat-file', '-e', `${commit}:src/index.ts`]);
  } catch {
    throw new Error(`Expected \`--baseline\` to name a commit with src/index.ts, but \`${ref}\` (${commit.slice(0, 12)}) has none`);
  }
  return { ref, name: labelOf(repoDir, ref, commit), commit };
}

/** Removes the worktree; best effort, falling back to deleting the folder and pruning git's record of it. */
function removeWorktree(repoDir: string, dir: string): void {
  try {
    git(repoDir, ['worktree', 'remove', '--force', dir]);
  } catch {
    try {
      rmSync(dir, { recursive: true, force: true });
      git(repoDir, ['worktree', 'prune']);
    } catch (error) {
      process.stderr.write(`could not remove the baseline worktree ${dir}; run \`git worktree remove --force ${dir}\`${gitError(error)}\n`);
    }
  }
}

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/**
 * Checks `baseline.commit` out into a detached worktree under the OS temp folder, calls `use`
 * with its src/ folder, and removes the worktree when `use` settles, the process exits or a
 * signal arrives (a signal then ends the process, as it would have without this handler).
 */
export async function withBaselineSrc<T>(repoDir: string, baseline: BaselineInfo, use: (srcDir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'tickguard-baseline-'));
  try {
    git(repoDir, ['worktree', 'add', '--detach', dir, baseline.commit]);
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`Could not check \`--baseline ${baseline.ref}\` out into ${dir}${gitError(error)}`);
  }
  let removed = false;
  const cleanUp = (): void => {
    if (removed) return;
    removed = true;
    removeWorktree(repoDir, dir);
  };
  const onSignal = (signal: NodeJS.Signals): void => {
    cleanUp();
    process.exit(128 + (signal === 'SIGINT' ? 2 : signal === 'SIGTERM' ? 15 : 1));
  };
  process.once('exit', cleanUp);
  for (const signal of SIGNALS) process.once(signal, onSignal);
  try {
    return await use(join(dir, 'src'));
  } finally {
    cleanUp();
    process.off('exit', cleanUp);
    for (const signal of SIGNALS) process.off(signal, onSignal);
  }
}
