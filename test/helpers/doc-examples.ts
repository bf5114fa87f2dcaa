/**
 * The TypeScript examples of the README and the guides, type-checked against the library the way a
 * notebook imports it (`"streamlab"`), so an example cannot rot when the API changes.
 *
 * Each fenced block tagged `ts` or `typescript` is one module of its own (top-level await allowed);
 * a block tagged `ts no-check` is a deliberate fragment and is left out.
 */
import { readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import ts from "typescript";

export interface DocExample {
  /** The markdown file, relative to the project root. */
  file: string;
  /** 1-based line of the block's first code line in that file. */
  line: number;
  code: string;
}

export interface DocExampleProblem {
  /** `docs/engine.md:42`: the markdown line the compiler complained about. */
  where: string;
  message: string;
}

const FENCE = /^(\s*)(`{3,}|~{3,})\s*([^`\s]*)\s*(.*)$/;
const CHECKED_LANGUAGES = new Set(["ts", "typescript"]);

/** The checked TypeScript blocks of one markdown text. */
export function extractExamples(markdown: string, file: string): DocExample[] {
  const lines = markdown.split("\n");
  const examples: DocExample[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i]);
    if (!open) continue;
    const [, , fence, language, rest] = open;
    const close = lines.findIndex((l, j) => j > i && l.trim().startsWith(fence) && l.trim().replace(/[`~]/g, "") === "");
    const end = close === -1 ? lines.length : close;
    if (CHECKED_LANGUAGES.has(language.toLowerCase()) && !/\bno-check\b/.test(rest)) {
      examples.push({ file, line: i + 2, code: lines.slice(i + 1, end).join("\n") });
    }
    i = end;
  }
  return examples;
}

/** README.md and every docs/*.md of the project. */
export function projectDocs(root: string): string[] {
  const docs = readdirSync(path.join(root, "docs")).filter((f) => f.endsWith(".md")).sort().map((f) => `docs/${f}`);
  return ["README.md", ...docs];
}

/**
 * Type-checks the examples in one program: `"streamlab"` resolves to lib/index.ts (the package's
 * source), other packages from node_modules. Returns one problem per compiler diagnostic.
 */
export function checkExamples(root: string, examples: DocExample[]): DocExampleProblem[] {
  const virtualDir = path.join(root, ".doc-examples");
  const byPath = new Map<string, DocExample>();
  examples.forEach((example, i) => {
    const name = `${example.file.replace(/[^\w]+/g, "_")}_${example.line}_${i}.ts`;
    byPath.set(path.join(virtualDir, name), example);
  });
  const options: ts.CompilerOptions = {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ES2022,
    moduleResolution: ts.ModuleResolutionKind.Node10,
    lib: ["lib.es2022.d.ts"],
    types: ["node"],
    strict: true,
    esModuleInterop: true,
    resolveJsonModule: true,
    skipLibCheck: true,
    noEmit: true,
    baseUrl: root,
    paths: { streamlab: ["lib/index.ts"] },
  };
  const host = ts.createCompilerHost(options, true);
  const source = (file: string) => {
    const example = byPath.get(path.resolve(file));
    // `export {}` makes each block a module, so top-level await and its own names are allowed.
    return example ? `${example.code}\nexport {};\n` : undefined;
  };
  const { getSourceFile, fileExists, readFile } = host;
  host.fileExists = (file) => byPath.has(path.resolve(file)) || fileExists.call(host, file);
  host.readFile = (file) => source(file) ?? readFile.call(host, file);
  host.getSourceFile = (file, language, onError, create) => {
    const text = source(file);
    return text !== undefined ? ts.createSourceFile(file, text, language, true) : getSourceFile.call(host, file, language, onError, create);
  };
  const program = ts.createProgram([...byPath.keys()], options, host);
  const problems: DocExampleProblem[] = [];
  for (const sourceFile of program.getSourceFiles()) {
    const example = byPath.get(path.resolve(sourceFile.fileName));
    if (!example) continue;
    const diagnostics = [...program.getSyntacticDiagnostics(sourceFile), ...program.getSemanticDiagnostics(sourceFile)];
    for (const d of diagnostics) {
      const line = d.start === undefined ? 0 : sourceFile.getLineAndCharacterOfPosition(d.start).line;
      problems.push({
        where: `${example.file}:${example.line + line}`,
        message: `TS${d.code}: ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`,
      });
    }
  }
  return problems;
}

/** Every checked example of the project's markdown. */
export function projectExamples(root: string): DocExample[] {
  return projectDocs(root).flatMap((file) => extractExamples(readFileSync(path.join(root, file), "utf8"), file));
}

/** GitHub's anchor for a heading: lower case, punctuation but `-` and `_` dropped, spaces to `-`. */
export function headingAnchor(heading: string): string {
  return heading.trim().toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, "").replace(/ /g, "-");
}

/** The anchors of a markdown text's headings (outside code blocks), with GitHub's `-1` suffixes for repeats. */
export function markdownAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  let fence: string | null = null;
  for (const line of markdown.split("\n")) {
    const open = FENCE.exec(line);
    if (open) {
      if (fence === null) fence = open[2];
      else if (open[2].startsWith(fence) && open[3] === "") fence = null;
      continue;
    }
    const heading = fence === null ? /^#{1,6}\s+(.*)$/.exec(line) : null;
    if (!heading) continue;
    const base = headingAnchor(heading[1]);
    let anchor = base;
    for (let n = 1; anchors.has(anchor); n++) anchor = `${base}-${n}`;
    anchors.add(anchor);
  }
  return anchors;
}

/** Relative links `[text](target)` of a markdown text outside code blocks, with their line. */
export function markdownLinks(markdown: string): { line: number; target: string }[] {
  const links: { line: number; target: string }[] = [];
  let fence: string | null = null;
  markdown.split("\n").forEach((line, i) => {
    const open = FENCE.exec(line);
    if (open) {
      if (fence === null) fence = open[2];
      else if (open[2].startsWith(fence) && open[3] === "") fence = null;
      return;
    }
    if (fence !== null) return;
    const withoutCode = line.replace(/`[^`]*`/g, "");
    for (const m of withoutCode.matchAll(/\]\(([^)\s]+)\)/g)) {
      if (!/^[a-z]+:/i.test(m[1])) links.push({ line: i + 1, target: m[1] });
    }
  });
  return links;
}
