import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { MissingCityAction, PipelineOrchestrator, WeatherPipeline } from '../../src';

/** The state machine definition of a WeatherPipeline with the given missingCityAction. */
function definitionWith(missingCityAction?: MissingCityAction): string {
  const stack = new Stack(new App(), 'Test');
  new WeatherPipeline(stack, 'Weather', {
    cities: [{ name: 'Paris', latitude: 48.8566, longitude: 2.3522 }, { name: 'Lyon', latitude: 45.764, longitude: 4.8357 }],
    missingCityAction,
  });
  const machine = Object.values<any>(Template.fromStack(stack).findResources('AWS::StepFunctions::StateMachine'))[0];
  return JSON.stringify(machine.Properties.DefinitionString);
}

describe('WeatherPipeline.missingCityAction reaches the orchestrator', () => {
  test('default: a missing city fails the run (no missing cities check, no alert state)', () => {
    const definition = definitionWith();
    expect(definition).not.toContain(PipelineOrchestrator.STATE_ALERT_MISSING_CITIES);
    expect(definition).not.toContain('missingCityAction');
    expect(definitionWith(MissingCityAction.FAIL)).toBe(definition);
  });

  test('ALERT: the planner is told, and the alert state is there', () => {
    const definition = definitionWith(MissingCityAction.ALERT);
    expect(definition).toContain('\\"missingCityAction\\":\\"ALERT\\"');
    expect(definition).toContain(`\\"${PipelineOrchestrator.STATE_ALERT_MISSING_CITIES}\\"`);
  });
});
