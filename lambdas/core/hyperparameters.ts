/**
 * Hyperparameters of the built-in XGBoost training job: the configured ones, plus the objective,
 * the number of classes and the evaluation metric derived from the problem type unless set.
 * SageMaker's CreateTrainingJob takes every value as a string.
 */
import { InvalidInputError } from './errors';
import type { ProblemType } from './types';

const OBJECTIVE: Record<ProblemType, string> = {
  binary: 'binary:logistic',
  multiclass: 'multi:softprob',
  regression: 'reg:squarederror',
};

const EVAL_METRIC: Record<ProblemType, string> = {
  binary: 'auc',
  multiclass: 'mlogloss',
  regression: 'rmse',
};

/**
 * `classes` is required for multiclass (num_class = its length). A configured num_class must
 * match it, since a model with another number of outputs cannot be scored against these labels.
 */
export function trainingHyperparameters(
  problemType: ProblemType,
  configured: Readonly<Record<string, string | number | boolean>>,
  classes?: readonly string[],
): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [name, value] of Object.entries(configured)) {
    if (typeof value === 'number' && !Number.isFinite(value)) {
      throw new InvalidInputError(`hyperparameter ${name}: expected a finite number, got ${value}`, { context: { name } });
    }
    result[name] = String(value);
  }
  result.objective ??= OBJECTIVE[problemType];
  result.eval_metric ??= EVAL_METRIC[problemType];
  if (problemType === 'multiclass') {
    if (!classes || classes.length < 2) {
      throw new InvalidInputError(`multiclass training needs at least 2 classes, got ${classes ? classes.length : 'none'}`, {
        context: { classes },
      });
    }
    const numClass = String(classes.length);
    if (result.num_class !== undefined && result.num_class !== numClass) {
      throw new InvalidInputError(`hyperparameter num_class: the data has ${numClass} classes, got ${result.num_class}`, {
        context: { classes, configured: result.num_class },
      });
    }
    result.num_class = numClass;
  }
  return result;
}
