import { IConstruct } from 'constructs';
import { City } from '../../contract/city';
import { WeatherContract } from '../../contract/weather-contract';
import { citiesOf, describeData } from '../../private/dataset';
import { IRefinedLake } from '../../storage/refined-lake';

/**
 * The cities an ingestion fetches: its refined lake's, or (an ingestion without a lake) the list it was given.
 * Exactly one of the two: a lake and a list of its own would be two definitions of the same data.
 */
export function ingestionCities(user: IConstruct, refinedLake: IRefinedLake | undefined, cities: City[] | undefined): City[] {
  if (refinedLake !== undefined && cities !== undefined) {
    throw new Error(`cities cannot be combined with refinedLake: the refined lake ${refinedLake.node.path} defines the cities `
      + `(${describeData(refinedLake.cities)}), and ${user.node.path} fetches them; remove cities (given ${describeData(cities)})`);
  }
  if (refinedLake !== undefined) {
    return [...citiesOf(refinedLake, user, 'refinedLake')];
  }
  if (cities === undefined) {
    throw new Error(`${user.node.path}: refinedLake is required (the refined lake whose cities the ingestion fetches), or cities for an ingestion that feeds no lake of this app`);
  }
  WeatherContract.validateCities(cities, 'cities');
  return [...cities];
}
