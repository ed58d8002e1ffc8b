// Integration test for a real AWS account: deploys the pipeline for Paris, Marseille and Nice, starts the state
// machine, waits for it to succeed, then checks that an Athena query over the refined table returns rows.
//
//   npx integ-runner --directory test/integ --language typescript --force   # deploys, asserts, destroys
//
// Without AWS credentials the test command verifies the committed snapshot only (no deployment).
import { ExpectedResult, IntegTest, Match } from '@aws-cdk/integ-tests-alpha';
import { App, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { WeatherPipeline } from '../../src';

const app = new App();
const stack = new Stack(app, 'WeatherPipelineInteg');
const pipeline = new WeatherPipeline(stack, 'Weather', {
  cities: [
    { name: 'Paris', latitude: 48.8566, longitude: 2.3522 },
    { name: 'Marseille', latitude: 43.2965, longitude: 5.3698 },
    { name: 'Nice', latitude: 43.7102, longitude: 7.262 },
  ],
  // A test deployment leaves nothing behind.
  removalPolicy: RemovalPolicy.DESTROY,
});

const integ = new IntegTest(app, 'WeatherPipelineIntegTest', {
  testCases: [stack],
  diffAssets: false,
});

// One run: ingestion → ETL → validation queries, started as the schedule would.
const execution = integ.assertions.awsApiCall('StepFunctions', 'startExecution', {
  stateMachineArn: pipeline.orchestrator.stateMachine.stateMachineArn,
  input: JSON.stringify({ batchId: 'integ-run-1' }),
});
const finished = integ.assertions.awsApiCall('StepFunctions', 'describeExecution', {
  executionArn: execution.getAttString('executionArn'),
}).expect(ExpectedResult.objectLike({ status: 'SUCCEEDED' })).waitForAssertions({
  totalTimeout: Duration.minutes(45),
  interval: Duration.seconds(30),
});

// The refined table answers a query: the Paris partition of today's date holds rows.
const query = integ.assertions.awsApiCall('Athena', 'startQueryExecution', {
  WorkGroup: pipeline.catalog.workGroupName,
  QueryExecutionContext: { Database: pipeline.catalog.databaseName },
  QueryString: `SELECT count(*) AS hours FROM "${pipeline.catalog.hourlyTableName}" WHERE "date" = CAST(current_date AS varchar) AND city = 'paris'`,
});
finished.next(query);
const queryDone = integ.assertions.awsApiCall('Athena', 'getQueryExecution', {
  QueryExecutionId: query.getAttString('QueryExecutionId'),
}).expect(ExpectedResult.objectLike({ QueryExecution: { Status: { State: 'SUCCEEDED' } } })).waitForAssertions({
  totalTimeout: Duration.minutes(5),
  interval: Duration.seconds(5),
});
queryDone.next(integ.assertions.awsApiCall('Athena', 'getQueryResults', {
  QueryExecutionId: query.getAttString('QueryExecutionId'),
}).expect(ExpectedResult.objectLike({
  // Besides the header row ("hours"), a row whose count is not zero.
  ResultSet: { Rows: Match.arrayWith([{ Data: [{ VarCharValue: Match.stringLikeRegexp('^[1-9][0-9]*$') }] }]) },
})));

app.synth();
