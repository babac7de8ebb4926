// Supported runtimes: Node.js 20 (from 20.19), 22 and 24. package.json says so, and every package
// in the lock file must accept the first release of each line, so that a dependency bump that
// drops one of them fails here rather than on a deployment. .ci/run runs the whole suite on this
// machine's Node and again on Node 24.
import { strict as assert } from 'node:assert';
import fs from 'node:fs';
import path from 'node:path';

// semver is in every install (npm's own range logic, a dependency of jsonwebtoken and others).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const semver = require('semver') as { satisfies(version: string, range: string, options?: { loose?: boolean }): boolean };

const ROOT = path.resolve(__dirname, '..', '..');
/** The oldest release of each supported line (20.19 is the first 20 that loads ES modules with require). */
const SUPPORTED = ['20.19.0', '22.0.0', '24.0.0'];

interface LockPackage {
  version?: string;
  engines?: { node?: string } | string[];
  dev?: boolean;
  optional?: boolean;
}

describe('supported Node.js versions', () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { engines: { node: string } };
  const lock = JSON.parse(fs.readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockPackage> };

  it('package.json accepts 20.19+, 22 and 24, and nothing older or in between', () => {
    const range = pkg.engines.node;
    for (const v of [...SUPPORTED, '20.20.2', '22.21.0', '24.11.1', process.versions.node]) assert.ok(semver.satisfies(v, range), `${range} accepts ${v}`);
    for (const v of ['18.20.0', '20.18.3', '21.7.3', '23.11.0', '25.0.0']) assert.equal(semver.satisfies(v, range), false, `${range} refuses ${v}`);
    assert.equal(lock.packages['']?.engines && (lock.packages['']!.engines as { node?: string }).node, range, 'the lock file records the same range');
  });

  it('every package in the lock file accepts each supported line', () => {
    const refusing: string[] = [];
    let checked = 0;
    for (const [where, p] of Object.entries(lock.packages)) {
      if (where === '' || !p.engines || Array.isArray(p.engines) || !p.engines.node) continue;
      checked++;
      for (const v of SUPPORTED) {
        if (!semver.satisfies(v, p.engines.node, { loose: true })) refusing.push(`${where.replace(/^.*node_modules\//, '')}@${p.version} (engines.node "${p.engines.node}") refuses ${v}`);
      }
    }
    assert.ok(checked > 100, `the lock file was read (${checked} packages declare engines)`);
    assert.deepEqual(refusing, []);
  });
});
