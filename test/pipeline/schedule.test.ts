// The schedule the user sets drives what depends on it: an invalid expression fails at synth, the freshness windows
// and (for frequent runs) the execution and Glue timeouts follow the interval between runs.
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import { City, WeatherPipeline } from '../../src';
import { schedulePeriod } from '../../src/private/schedule';
import { pipeline } from '../orchestration/fixture';

const PARIS: City = { name: 'Paris', latitude: 48.8566, longitude: 2.3522 };

function synth(schedule?: scheduler.ScheduleExpression) {
  const stack = new Stack(new App(), 'Test');
  new WeatherPipeline(stack, 'Weather', { cities: [PARIS], schedule });
  const template = Template.fromStack(stack);
  const alarms = Object.values<any>(template.findResources('AWS::CloudWatch::Alarm')).map((a) => a.Properties);
  const machine = Object.values<any>(template.findResources('AWS::StepFunctions::StateMachine'))[0].Properties;
  const definition = JSON.stringify(machine.DefinitionString);
  return {
    runFreshness: alarms.find((a) => a.MetricName === 'ExecutionsSucceeded').AlarmDescription as string,
    cityFreshness: alarms.find((a) => a.MetricName === 'StaleCities').AlarmDescription as string,
    definition,
  };
}

describe('an invalid schedule expression fails at synth, naming it', () => {
  test.each(['every day', 'cron(0 6 * * *)', 'rate(0 hours)', 'rate(1 week)'])('%s', (expression) => {
    expect(() => synth(scheduler.ScheduleExpression.expression(expression))).toThrow(
      `schedule must be an EventBridge Scheduler expression, rate(<n> minutes|hours|days), cron(<6 fields>) or at(yyyy-mm-ddThh:mm:ss), got "${expression}"`);
  });

  test('on the orchestrator too', () => {
    expect(() => pipeline({ ingestion: true, props: { schedule: scheduler.ScheduleExpression.expression('daily') } })).toThrow(
      'schedule must be an EventBridge Scheduler expression, rate(<n> minutes|hours|days), cron(<6 fields>) or at(yyyy-mm-ddThh:mm:ss), got "daily"');
  });
});

describe('what follows the schedule', () => {
  test('the default daily schedule keeps 26-hour freshness windows', () => {
    const daily = synth();
    expect(daily.runFreshness).toContain('in the last 26 hours');
    expect(daily.cityFreshness).toContain('within its window (26 hours)');
  });

  test('every 3 hours: freshness windows of 5 hours, timeouts unchanged', () => {
    const every3 = synth(scheduler.ScheduleExpression.cron({ minute: '0', hour: '*/3' }));
    expect(every3.runFreshness).toContain('in the last 5 hours');
    expect(every3.cityFreshness).toContain('within its window (5 hours)');
    expect(every3.definition).toContain('\\"Timeout\\":90');
  });

  test('hourly: 3-hour windows, a 60-minute execution timeout, 5-minute queries and the rest for the Glue run', () => {
    const hourly = synth(scheduler.ScheduleExpression.rate(Duration.hours(1)));
    expect(hourly.runFreshness).toContain('in the last 3 hours');
    // 3600 s - (138 s ingestion + 60 s alert, 5 × (300 s query + 60 s verdict), 60 s planning, 60 s notification)
    // = 1482 s for one Glue run attempt (no retry within the hour: the next run comes first) → 24 minutes.
    expect(hourly.definition).toContain('\\"TimeoutSeconds\\":300,');
    expect(hourly.definition).toContain('\\"Timeout\\":24}');
    expect(hourly.definition).not.toContain('Retry ETL job run');
    expect(hourly.definition).toContain('\\"TimeoutSeconds\\":3600');
  });

  test('every 17 minutes: the one Glue run attempt fits (a second one would not)', () => {
    // 1020 s - (198 s ingestion, 5 × (60 s query + 60 s verdict), 120 s rest) = 102 s → a 1-minute Glue run.
    const every17 = synth(scheduler.ScheduleExpression.rate(Duration.minutes(17)));
    expect(every17.definition).toContain('\\"Timeout\\":1}');
    expect(every17.definition).toContain('\\"TimeoutSeconds\\":1020');
    expect(every17.definition).not.toContain('Retry ETL job run');
  });

  test.each([
    ['rate(15 minutes)', 15],
    ['rate(2 days)', 2880],
    ['cron(0 6,18 * * ? *)', 720],
    ['cron(30 6 ? * MON-FRI *)', undefined],
    ['at(2026-05-07T06:30:00)', undefined],
  ])('the interval of %s is %s minutes', (expression, minutes) => {
    expect(schedulePeriod(expression)?.toMinutes()).toBe(minutes);
  });
});
