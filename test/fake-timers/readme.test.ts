// The README's "Testing your schedules" snippets are the example tests, verbatim: the examples run
// in the suite (vitest picks up examples/**/*.test.ts), so the snippets are tested too.
import { expect, it } from 'vitest';
import { readFileSync } from 'node:fs';

const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');

it('each snippet of "Testing your schedules" is the body of the example it links', () => {
  const readme = read('README.md');
  const start = readme.indexOf('## Testing your schedules\n');
  expect(start).toBeGreaterThan(0);
  const section = readme.slice(start, readme.indexOf('\n## ', start + 1));
  // A snippet follows the link to its example: [`examples/x.test.ts`](examples/x.test.ts) … ```ts … ```
  const snippets = [...section.matchAll(/\]\((examples\/[\w-]+\.test\.ts)\)[^`]*?```ts\n([\s\S]*?)```/g)].map(([, file, code]) => ({ file: file!, code: code! }));
  expect(snippets.map((s) => s.file)).toEqual(['examples/testing-with-test-clock.test.ts', 'examples/testing-with-fake-timers.test.ts']);
  for (const { file, code } of snippets) {
    expect(read(file)).toContain(code.replace(/from 'tickguard'/g, "from '../src/index.js'"));
  }
});
