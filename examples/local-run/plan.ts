// The orchestrator's validation planner, run locally: reads `{ runId, summary }` as JSON on stdin and prints the
// validation parameters the state machine would pass to Athena (the same code the ValidationPlan Lambda runs).
import { planValidation } from '../../src/orchestration/private/validation-plan';

let input = '';
process.stdin.setEncoding('utf-8');
process.stdin.on('data', (chunk) => { input += chunk; });
process.stdin.on('end', () => {
  console.log(JSON.stringify(planValidation(JSON.parse(input))));
});
