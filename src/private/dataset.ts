import { IConstruct } from 'constructs';
import { City } from '../contract/city';
import { PartitionGranularity } from '../contract/partition-granularity';
import { WeatherContract } from '../contract/weather-contract';

/** What a refined lake says about its data: the one definition every part of a pipeline reads. */
export interface LakeData extends IConstruct {
  readonly cities?: City[];
  readonly partitionGranularity: PartitionGranularity;
}

/** The lake's cities, for a construct that cannot work without them. */
export function citiesOf(lake: LakeData, user: IConstruct, propName: string = 'refinedLake'): City[] {
  if (lake.cities === undefined) {
    throw new Error(`${propName} ${lake.node.path} declares no cities, which ${user.node.path} needs: set cities on the refined lake (RefinedLake props or RefinedLake.fromRefinedLakeAttributes)`);
  }
  return lake.cities;
}

/** A short description of a data definition, for error messages: `2 cities (lyon, oslo), DAY partitions`. */
export function describeData(cities: City[] | undefined, granularity?: PartitionGranularity): string {
  const slugs = cities === undefined ? 'no cities' : `${cities.length} cities (${cities.map((city) => WeatherContract.slugOf(city)).join(', ')})`;
  return granularity === undefined ? slugs : `${slugs}, ${granularity} partitions`;
}

/** Same cities (by slug, name and coordinates, in any order)? */
export function sameCities(a: City[] | undefined, b: City[] | undefined): boolean {
  if (a === undefined || b === undefined) {
    return a === b;
  }
  const key = (city: City) => JSON.stringify([WeatherContract.slugOf(city), city.name, city.latitude, city.longitude]);
  const left = a.map(key).sort();
  const right = b.map(key).sort();
  return left.length === right.length && left.every((k, i) => k === right[i]);
}

/**
 * Throws unless two parts of one pipeline read the same data definition: the same cities and the same partition
 * granularity. The message names both parts and what each says.
 */
export function checkSameLake(first: { what: string; lake: LakeData }, second: { what: string; lake: LakeData }): void {
  const a = first.lake;
  const b = second.lake;
  if (a === b) {
    return;
  }
  if (a.partitionGranularity !== b.partitionGranularity || !sameCities(a.cities, b.cities)) {
    throw new Error(`${first.what} and ${second.what} are built from different data definitions: `
      + `${first.what} reads ${a.node.path} (${describeData(a.cities, a.partitionGranularity)}), `
      + `${second.what} reads ${b.node.path} (${describeData(b.cities, b.partitionGranularity)}); `
      + 'build them on the same refined lake');
  }
}
