import { InvalidInputError } from '../../../lambdas/core/errors';
import { decide } from '../../../lambdas/core/gate';

describe('gate: against a champion', () => {
  it('passes a candidate that beats the champion by at least the minimum improvement', () => {
    const decision = decide({ metric: 'auc', direction: 'maximize', candidate: 0.912, champion: 0.887, minImprovement: 0.005 });

    expect(decision).toEqual({
      passed: true,
      metric: 'auc',
      direction: 'maximize',
      candidate: 0.912,
      champion: 0.887,
      minImprovement: 0.005,
      reason: "auc 0.912 beats the champion's 0.887 by 0.025 (needed 0.005)",
    });
  });

  it('fails a candidate that improves by less than the minimum improvement', () => {
    const decision = decide({ metric: 'auc', direction: 'maximize', candidate: 0.889, champion: 0.887, minImprovement: 0.005 });

    expect(decision.passed).toBe(false);
    expect(decision.reason).toBe("auc 0.889 beats the champion's 0.887 by only 0.002 (needed 0.005)");
  });

  it('fails a minimized metric that does not go down by the minimum improvement', () => {
    const decision = decide({ metric: 'rmse', direction: 'minimize', candidate: 3.2, champion: 3.1, minImprovement: 0.05 });

    expect(decision.passed).toBe(false);
    expect(decision.reason).toBe("rmse 3.2 does not improve on the champion's 3.1 (needed 0.05 lower)");
  });

  it('passes a minimized metric that goes down by at least the minimum improvement', () => {
    const decision = decide({ metric: 'rmse', direction: 'minimize', candidate: 3, champion: 3.1, minImprovement: 0.05 });

    expect(decision.passed).toBe(true);
    expect(decision.reason).toBe("rmse 3 beats the champion's 3.1 by 0.1 (needed 0.05 lower)");
  });

  it('counts an improvement equal to the minimum despite floating point (0.7 − 0.6 is 0.09999999999999998)', () => {
    const decision = decide({ metric: 'auc', direction: 'maximize', candidate: 0.7, champion: 0.6, minImprovement: 0.1 });

    expect(0.7 - 0.6 < 0.1).toBe(true);
    expect(decision.passed).toBe(true);
    expect(decision.reason).toBe("auc 0.7 beats the champion's 0.6 by 0.1 (needed 0.1)");
  });

  it('passes an equal candidate when no improvement is required, and fails a worse one', () => {
    const equal = decide({ metric: 'f1', direction: 'maximize', candidate: 0.8, champion: 0.8, minImprovement: 0 });
    expect(equal.passed).toBe(true);
    expect(equal.reason).toBe("f1 0.8 equals the champion's 0.8 (needed 0)");
    const worse = decide({ metric: 'f1', direction: 'maximize', candidate: 0.79, champion: 0.8, minImprovement: 0 });
    expect(worse.passed).toBe(false);
    expect(worse.reason).toBe("f1 0.79 does not improve on the champion's 0.8 (needed 0 higher)");
  });

  it('requires the minimum as well as the improvement, and says so when both hold', () => {
    const belowMinimum = decide({ metric: 'auc', direction: 'maximize', candidate: 0.84, champion: 0.8, minimum: 0.85, minImprovement: 0 });
    const both = decide({ metric: 'auc', direction: 'maximize', candidate: 0.9, champion: 0.8, minimum: 0.85, minImprovement: 0 });

    expect(belowMinimum.passed).toBe(false);
    expect(belowMinimum.reason).toBe('auc 0.84 is below the minimum 0.85');
    expect(both.passed).toBe(true);
    expect(both.reason).toBe("auc 0.9 beats the champion's 0.8 by 0.1 (needed 0) and meets the minimum 0.85");
    expect(both.minimum).toBe(0.85);
  });
});

describe('gate: first run (no champion)', () => {
  it('applies only the minimum', () => {
    const passes = decide({ metric: 'auc', direction: 'maximize', candidate: 0.86, minimum: 0.85, minImprovement: 0.01 });
    const fails = decide({ metric: 'auc', direction: 'maximize', candidate: 0.801, minimum: 0.85, minImprovement: 0.01 });

    expect(passes.passed).toBe(true);
    expect(passes.reason).toBe('auc 0.86 meets the minimum 0.85 and there is no champion yet (first run)');
    expect('champion' in passes).toBe(false);
    expect(fails.passed).toBe(false);
    expect(fails.reason).toBe('auc 0.801 is below the minimum 0.85');
  });

  it('reads the minimum of a minimized metric as an upper limit', () => {
    const fails = decide({ metric: 'rmse', direction: 'minimize', candidate: 3.2, minimum: 3, minImprovement: 0 });
    const passes = decide({ metric: 'rmse', direction: 'minimize', candidate: 2.5, minimum: 3, minImprovement: 0 });

    expect(fails.passed).toBe(false);
    expect(fails.reason).toBe('rmse 3.2 is above the limit 3 (rmse must be at most 3)');
    expect(passes.passed).toBe(true);
    expect(passes.reason).toBe('rmse 2.5 is within the limit 3 and there is no champion yet (first run)');
  });

  it('passes any finite value when neither a minimum nor a champion exists', () => {
    const decision = decide({ metric: 'r2', direction: 'maximize', candidate: -0.3, minImprovement: 0 });

    expect(decision.passed).toBe(true);
    expect(decision.reason).toBe('r2 -0.3: there is no champion yet (first run) and no minimum is configured');
  });
});

describe('gate: values that are not numbers', () => {
  it('never passes a NaN candidate, with or without a champion', () => {
    const first = decide({ metric: 'auc', direction: 'maximize', candidate: Number.NaN, minImprovement: 0 });
    const against = decide({ metric: 'auc', direction: 'maximize', candidate: Number.NaN, champion: 0.5, minImprovement: 0 });

    expect(first.passed).toBe(false);
    expect(first.reason).toBe('auc of the candidate is NaN (not a finite number), so it cannot pass');
    expect(against.passed).toBe(false);
  });

  it('rejects a negative minimum improvement, an unknown direction and a champion value that is not a number', () => {
    expect(() => decide({ metric: 'auc', direction: 'maximize', candidate: 0.9, minImprovement: -0.1 })).toThrow(
      /gate: minImprovement: expected a finite number ≥ 0, got -0.1/,
    );
    expect(() => decide({ metric: 'auc', direction: 'up' as 'maximize', candidate: 0.9, minImprovement: 0 })).toThrow(InvalidInputError);
    expect(() => decide({ metric: 'auc', direction: 'maximize', candidate: 0.9, champion: Number.NaN, minImprovement: 0 })).toThrow(
      /champion's auc is NaN/,
    );
  });
});
