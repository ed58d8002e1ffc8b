// asl-validator ships no type declarations: what state-machine.test.ts uses of it (module.exports = validator).
declare module 'asl-validator' {
  interface ValidationResult {
    readonly isValid: boolean;
    /** The errors, one "<code>: <message>" per error, joined by `separator`. */
    errorsText(separator?: string): string;
  }
  function validator(definition: unknown, options?: Record<string, unknown>): ValidationResult;
  export = validator;
}
