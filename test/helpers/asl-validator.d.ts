/**
 * Types for asl-validator 4 (it ships none): the CommonJS export is the validator function.
 * Note: it sets QueryLanguage on every state of the definition it is given (validate a copy).
 */
declare module 'asl-validator' {
  interface StateMachineError {
    'Error code': string;
    Message: string;
    schemaError?: { instancePath: string; schemaPath: string };
  }
  interface ValidationOptions {
    /** Check JSONPath expressions (InputPath, OutputPath, ResultPath, ...). @default true */
    readonly checkPaths: boolean;
    /** Check that Task Resource values are ARNs. @default true */
    readonly checkArn: boolean;
  }
  interface ValidationResult {
    isValid: boolean;
    errors: StateMachineError[];
    errorsText(separator?: string): string;
  }
  function aslValidator(definition: object, options?: ValidationOptions): ValidationResult;
  export = aslValidator;
}
