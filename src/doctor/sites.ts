/**
 * Where a timer or a listener was created: the first stack frame outside node internals,
 * `node_modules`, tickguard itself and the doctor, as `file:line:column` of the source.
 *
 * HOW: stack capture is the doctor's main cost, so it takes the cheap part every time and the
 * expensive part once per site. Every call collects V8's structured call sites (no string is
 * formatted, no source map is read) with a small `stackTraceLimit`, picks the frame, and looks
 * its generated position up in a cache. Only the first time a position is seen is it mapped
 * through the source map (when the process has source maps enabled, as under tsx or
 * `--enable-source-maps`) and made relative to the working directory.
 *
 * A timer whose creating frames start inside tickguard's own engine is marked `guarded`: the
 * engine bounds its runs itself, and judging its timers would report the fix as the problem.
 */
import { findSourceMap } from 'node:module';
import { isAbsolute, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** A creation site. */
export interface Site {
  /** `file:line:column`, the file relative to the working directory when it is inside it. */
  readonly id: string;
  readonly file: string;
  readonly line: number;
  readonly column: number;
  /** Created by tickguard's own engine (which bounds its runs itself), not by the app. */
  readonly guarded: boolean;
  /**
   * No frame of the app's on the stack: a library armed it from its own callbacks, and the site
   * is the library's first frame. The fix is the library's to make, not the app's.
   */
  readonly library: boolean;
}

/** Frames collected first: the app's own call is nearly always among them, and fewer frames cost less. */
const SHORT_STACK = 3;
/** Frames collected when the short stack held no app frame: enough to climb out of a library. */
const STACK_LIMIT = 12;
/** Distinct sites kept; past this every new position is reported as one overflow site. */
const MAX_SITES = 5_000;

const UNKNOWN_SITE: Site = { id: '<unknown>:0:0', file: '<unknown>', line: 0, column: 0, guarded: false, library: false };
const OVERFLOW_SITE: Site = { id: '<too many sites>:0:0', file: '<too many sites>', line: 0, column: 0, guarded: false, library: false };

/** Whose code a stack frame runs. */
export type FrameKind = 'internal' | 'doctor' | 'tickguard' | 'library' | 'app';

/** Prefixes (as paths and as file URLs) that tell tickguard's own files from the app's. */
export interface OwnFiles {
  readonly doctor: readonly string[];
  readonly tickguard: readonly string[];
  readonly tickguardCli: readonly string[];
}

const collectFrames = (_error: Error, frames: NodeJS.CallSite[]): NodeJS.CallSite[] => frames;

function structuredStack(below: (...args: never[]) => unknown, limit = STACK_LIMIT): NodeJS.CallSite[] {
  const previousPrepare = Error.prepareStackTrace;
  const previousLimit = Error.stackTraceLimit;
  Error.prepareStackTrace = collectFrames;
  Error.stackTraceLimit = limit;
  try {
    const holder: { stack?: unknown } = {};
    Error.captureStackTrace(holder, below);
    // Read while our prepareStackTrace is installed: V8 formats the stack on first access.
    const frames = holder.stack;
    return Array.isArray(frames) ? (frames as NodeJS.CallSite[]) : [];
  } finally {
    Error.prepareStackTrace = previousPrepare;
    Error.stackTraceLimit = previousLimit;
  }
}

function bothForms(path: string): string[] {
  return [path, `file://${path.split(sep).join('/')}`];
}

/** The path of this very module, from its own stack frame (from source, and from ESM and CJS bundles alike). */
export function doctorFile(): string {
  const own = structuredStack(doctorFile)[0]?.getFileName() ?? '';
  return own.startsWith('file://') ? fileURLToPath(own) : own;
}

/** tickguard's own files, from the path of the doctor's module (`ownPath`). */
export function locateOwnFiles(ownPath: string): OwnFiles {
  const dir = ownPath.slice(0, ownPath.lastIndexOf(sep) + 1);
  if (dir.endsWith(`${sep}src${sep}doctor${sep}`)) {
    // From source: src/doctor/ is the doctor, the rest of src/ but src/cli/ is the engine.
    const src = dir.slice(0, -`doctor${sep}`.length);
    return { doctor: bothForms(dir), tickguard: bothForms(src), tickguardCli: bothForms(`${src}cli${sep}`) };
  }
  // From the bundle: dist/doctor.{js,cjs} is the doctor, the chunks beside it are the engine.
  return { doctor: bothForms(ownPath), tickguard: bothForms(dir), tickguardCli: bothForms(`${dir}cli${sep}`) };
}

const startsWithAny = (text: string, prefixes: readonly string[]): boolean => prefixes.some((prefix) => text.startsWith(prefix));

/**
 * Whose code runs at a frame of `file`. The lab (tickguard's `cli/`) plays an unmodified app, so
 * its files are the app's, wherever tickguard is installed; it is told apart before the rule
 * that takes every other file of an installed tickguard for the engine.
 */
export function classifyFrame(file: string | undefined | null, own: OwnFiles): FrameKind {
  if (file === undefined || file === null || file === '' || file.startsWith('node:') || !(isAbsolute(file) || file.startsWith('file://'))) {
    return 'internal';
  }
  if (startsWithAny(file, own.doctor)) return 'doctor';
  if (startsWithAny(file, own.tickguardCli)) return 'app';
  if (file.includes('/node_modules/tickguard/') || file.includes('\\node_modules\\tickguard\\')) return 'tickguard';
  if (file.includes('/node_modules/') || file.includes('\\node_modules\\')) return 'library';
  if (startsWithAny(file, own.tickguard)) return 'tickguard';
  return 'app';
}

/** Finds and caches creation sites. One per doctor. */
export class SiteFinder {
  readonly #own: OwnFiles = locateOwnFiles(doctorFile());
  readonly #cache = new Map<string, Site>();
  readonly #cwd = process.cwd();

  /** Sites seen so far. */
  get size(): number {
    return this.#cache.size;
  }

  /** The site of the caller of `below` (a doctor wrapper), never throwing. */
  find(below: (...args: never[]) => unknown): Site {
    const short = structuredStack(below, SHORT_STACK);
    const frames = short.some((frame) => this.#classify(frame.getFileName()) === 'app') ? short : structuredStack(below);
    let chosen: NodeJS.CallSite | undefined;
    let fallback: NodeJS.CallSite | undefined;
    let library = false;
    let guarded = false;
    for (const frame of frames) {
      const kind = this.#classify(frame.getFileName());
      if (kind === 'app') {
        chosen = frame;
        break;
      }
      // tickguard's engine above the app's first frame: the engine armed this timer itself.
      if (kind === 'tickguard') guarded = true;
      if ((kind === 'library' || kind === 'tickguard') && fallback === undefined) {
        fallback = frame;
        library = kind === 'library';
      }
    }
    if (chosen !== undefined) library = false;
    const frame = chosen ?? fallback;
    if (frame === undefined) return UNKNOWN_SITE;
    const file = frame.getFileName() ?? '';
    const line = frame.getLineNumber() ?? 0;
    const column = frame.getColumnNumber() ?? 0;
    const key = `${guarded ? 'g' : 'a'}${library ? 'l' : 'a'}${line}:${column}:${file}`;
    const cached = this.#cache.get(key);
    if (cached !== undefined) return cached;
    if (this.#cache.size >= MAX_SITES) return OVERFLOW_SITE;
    const site = this.#resolve(file, line, column, guarded, library);
    this.#cache.set(key, site);
    return site;
  }

  #classify(file: string | undefined | null): FrameKind {
    return classifyFrame(file, this.#own);
  }

  /** The source position of a generated one, through the source map when there is one. */
  #resolve(file: string, line: number, column: number, guarded: boolean, library: boolean): Site {
    let source = file;
    let sourceLine = line;
    let sourceColumn = column;
    try {
      const map = findSourceMap(file);
      const entry = map?.findEntry(line - 1, column - 1) as { originalSource?: string; originalLine?: number; originalColumn?: number } | undefined;
      if (entry?.originalSource !== undefined && entry.originalLine !== undefined && entry.originalColumn !== undefined) {
        source = entry.originalSource;
        sourceLine = entry.originalLine + 1;
        sourceColumn = entry.originalColumn + 1;
      }
    } catch {
      // No source map for this file (or none readable): the generated position is the answer.
      source = file;
    }
    const path = source.startsWith('file://') ? fileURLToPath(source) : source;
    const shown = isAbsolute(path) && path.startsWith(this.#cwd + sep) ? relative(this.#cwd, path).split(sep).join('/') : path;
    return { id: `${shown}:${sourceLine}:${sourceColumn}`, file: shown, line: sourceLine, column: sourceColumn, guarded, library };
  }
}
