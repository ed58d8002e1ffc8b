import { readFileSync } from 'fs';
import { join } from 'path';
import { Template } from 'aws-cdk-lib/assertions';
import { City, GlueEtlJob, LandingZone, RefinedLake, WeatherContract } from '../../src';
import { newStack } from '../nag';

const cities: City[] = [{ name: 'Oslo', latitude: 59.9139, longitude: 10.7522 }];

function contractOf(sourceIds?: string[]) {
  const { stack } = newStack();
  const etl = new GlueEtlJob(stack, 'Etl', {
    landingZone: new LandingZone(stack, 'Landing'),
    refinedLake: new RefinedLake(stack, 'Refined', { cities }),
    ...(sourceIds !== undefined ? { sourceIds } : {}),
  });
  const job = Object.values<any>(Template.fromStack(stack).findResources('AWS::Glue::Job'))[0].Properties;
  return { etl, contract: JSON.parse(job.DefaultArguments['--contract_json']) };
}

describe('GlueEtlJob sourceIds', () => {
  test('by default the script gets the Open-Meteo contract, unchanged', () => {
    const { etl, contract } = contractOf();
    expect(etl.sourceIds).toEqual(['open-meteo']);
    expect(contract).toEqual(WeatherContract.toJson());
  });

  test('with MET Norway too, the script gets the two-source contract the ETL tests and the local run use', () => {
    const { etl, contract } = contractOf(['open-meteo', 'met-norway']);
    expect(etl.sourceIds).toEqual(['open-meteo', 'met-norway']);
    expect(contract.sources.map((s: { id: string }) => s.id)).toEqual(['open-meteo', 'met-norway']);
    const committed = JSON.parse(readFileSync(join(__dirname, '..', '..', 'src', 'etl', 'script', 'tests', 'fixtures', 'contract-all-sources.json'), 'utf-8'));
    expect(contract).toEqual(committed);
  });

  test.each([
    [[], 'sourceIds must list at least one source, got []'],
    [['open-meteo', 'metno'], 'sourceIds[1] must be one of "open-meteo", "met-norway", got "metno"'],
    [['open-meteo', 'open-meteo'], 'sourceIds[1]: source "open-meteo" is listed twice'],
  ])('invalid sourceIds %j fail at synth', (ids, message) => {
    expect(() => contractOf(ids)).toThrow(message);
  });
});
