import { planValidation, ValidationPlan, ValidationPlanRequest } from './validation-plan';

/**
 * Computes the execution parameters of the validation queries from the ETL run summary
 * (the state machine reads the summary from S3 and passes it in). Pure: no AWS calls.
 */
export async function handler(event: ValidationPlanRequest): Promise<ValidationPlan> {
  return planValidation(event);
}
