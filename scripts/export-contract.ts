// Writes the data contract as JSON next to the Glue script, which reads it when it runs locally.
// The Glue job receives the same document as a job argument; test/contract keeps the two in step.
import { writeFileSync } from 'fs';
import { join } from 'path';
import { WeatherContract } from '../src/contract';

const target = join(__dirname, '..', 'src', 'etl', 'script', 'contract.json');
writeFileSync(target, JSON.stringify(WeatherContract.toJson(), null, 2) + '\n');
console.log(`wrote ${target}`);
