// Writes the data contract as JSON next to the Glue script, which reads it when it runs locally.
// The Glue job receives the same document as a job argument; test/contract keeps the two in step.
// Also writes the document of every known source (Open-Meteo and MET Norway), which the ETL's two-source tests and
// the local run's two-source mode give the script with --contract_json.
import { writeFileSync } from 'fs';
import { join } from 'path';
import { WeatherContract } from '../src/contract';

const script = join(__dirname, '..', 'src', 'etl', 'script');
const targets: Array<[string, object]> = [
  [join(script, 'contract.json'), WeatherContract.toJson()],
  [join(script, 'tests', 'fixtures', 'contract-all-sources.json'),
    WeatherContract.toJson(undefined, undefined, WeatherContract.SOURCES.map((source) => source.id))],
];
for (const [target, doc] of targets) {
  writeFileSync(target, JSON.stringify(doc, null, 2) + '\n');
  console.log(`wrote ${target}`);
}
