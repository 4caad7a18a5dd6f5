/** The doctor's public types: what `tickguard/doctor` promises to TypeScript users. */
import { describe, expectTypeOf, it } from 'vitest';
import type { Duration } from '../../src/index.js';
import { startDoctor, type Doctor, type DoctorFinding, type DoctorFindingKind, type DoctorOptions, type DoctorReport } from '../../src/doctor/index.js';

describe('tickguard/doctor types', () => {
  it('startDoctor takes optional options and returns a Doctor', () => {
    expectTypeOf(startDoctor).parameters.toEqualTypeOf<[options?: DoctorOptions]>();
    expectTypeOf(startDoctor).returns.toEqualTypeOf<Doctor>();
    expectTypeOf<Doctor['report']>().returns.toEqualTypeOf<DoctorReport>();
    expectTypeOf<DoctorOptions['live']>().toEqualTypeOf<Duration | null | undefined>();
    // A typo in a duration is a type error, as for every tickguard option.
    // @ts-expect-error '5 seconds' is no Duration
    const _typo = (): Doctor => startDoctor({ live: '5 seconds' });
  });

  it('a finding has a kind from a closed set and a site string', () => {
    expectTypeOf<DoctorFindingKind>().toEqualTypeOf<'overlap' | 'timer-leak' | 'rearmed-after-stop' | 'armed-at-shutdown' | 'listener-growth'>();
    expectTypeOf<DoctorFinding['site']>().toEqualTypeOf<string>();
    expectTypeOf<DoctorFinding['figures']>().toEqualTypeOf<Readonly<Record<string, number | boolean>>>();
    expectTypeOf<DoctorReport['findings']>().toEqualTypeOf<readonly DoctorFinding[]>();
  });
});
