import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { executionArnOf, runStartFor, STATE_MACHINE_ARN_ENV, StartRunEvent } from './run-start';

/** What the starter returns (the async invocation's success destination would get it). */
export interface StartRunResult {
  /** The execution's name: the run id. */
  readonly name: string;
  readonly executionArn: string;
  /** True when an execution of this name existed already: nothing was started. */
  readonly alreadyStarted: boolean;
}

let sfn: SFNClient | undefined;

/**
 * Starts one execution of the orchestrator's state machine per trigger event, named after its run id
 * (see `runStartFor`), so that a redelivered event cannot start a second run of the same batch.
 *
 * `ExecutionAlreadyExists` is success: an execution of this name exists (running with another input, or
 * finished, within the 90 days Step Functions keeps names); while it runs with the same input, StartExecution
 * itself succeeds and starts nothing. Every other error is thrown, so the asynchronous invocation is retried and
 * then sent to the dead-letter queue.
 */
export async function handler(event: StartRunEvent): Promise<StartRunResult> {
  const stateMachineArn = process.env[STATE_MACHINE_ARN_ENV];
  if (!stateMachineArn) {
    throw new Error(`${STATE_MACHINE_ARN_ENV} is not set`);
  }
  const start = runStartFor(event);
  sfn ??= new SFNClient({});
  try {
    const started = await sfn.send(new StartExecutionCommand({
      stateMachineArn,
      name: start.name,
      input: JSON.stringify(start.input),
    }));
    const executionArn = started.executionArn ?? executionArnOf(stateMachineArn, start.name);
    console.log(JSON.stringify({ message: 'execution started', name: start.name, executionArn, input: start.input }));
    return { name: start.name, executionArn, alreadyStarted: false };
  } catch (err) {
    if ((err as Error | undefined)?.name !== 'ExecutionAlreadyExists') {
      throw err;
    }
    const executionArn = executionArnOf(stateMachineArn, start.name);
    console.log(JSON.stringify({ message: 'execution exists already: nothing started', name: start.name, executionArn, input: start.input }));
    return { name: start.name, executionArn, alreadyStarted: true };
  }
}
