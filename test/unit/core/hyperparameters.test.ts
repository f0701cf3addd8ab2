import { InvalidInputError } from '../../../lambdas/core/errors';
import { trainingHyperparameters } from '../../../lambdas/core/hyperparameters';

const CONFIGURED = { num_round: 200, max_depth: 5, eta: 0.2 };

describe('hyperparameters', () => {
  it('derives the objective and metric of a binary problem and turns every value into a string', () => {
    expect(trainingHyperparameters('binary', CONFIGURED)).toEqual({
      num_round: '200',
      max_depth: '5',
      eta: '0.2',
      objective: 'binary:logistic',
      eval_metric: 'auc',
    });
  });

  it('derives multi:softprob, mlogloss and num_class from the classes for multiclass', () => {
    expect(trainingHyperparameters('multiclass', CONFIGURED, ['a', 'b', 'c'])).toMatchObject({
      objective: 'multi:softprob',
      eval_metric: 'mlogloss',
      num_class: '3',
    });
  });

  it('derives reg:squarederror and rmse for regression', () => {
    expect(trainingHyperparameters('regression', {})).toEqual({ objective: 'reg:squarederror', eval_metric: 'rmse' });
  });

  it('keeps a configured objective and eval_metric', () => {
    expect(trainingHyperparameters('binary', { objective: 'binary:hinge', eval_metric: 'error' })).toEqual({
      objective: 'binary:hinge',
      eval_metric: 'error',
    });
  });

  it('writes booleans as true/false', () => {
    expect(trainingHyperparameters('binary', { one_drop: true })).toMatchObject({ one_drop: 'true' });
  });

  it('requires at least two classes for multiclass', () => {
    expect(() => trainingHyperparameters('multiclass', {}, ['a'])).toThrow(InvalidInputError);
    expect(() => trainingHyperparameters('multiclass', {})).toThrow('multiclass training needs at least 2 classes, got none');
  });

  it('rejects a configured num_class that contradicts the data', () => {
    expect(() => trainingHyperparameters('multiclass', { num_class: 4 }, ['a', 'b', 'c'])).toThrow(
      'hyperparameter num_class: the data has 3 classes, got 4',
    );
  });

  it('does not add num_class outside multiclass', () => {
    expect(trainingHyperparameters('binary', {})).not.toHaveProperty('num_class');
  });
});
