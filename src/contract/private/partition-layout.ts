import { Token } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { IConstruct } from 'constructs';
import { PartitionGranularity, WeatherContract } from '../weather-contract';

/**
 * The partition granularity of each refined bucket, so that it is set once (on `RefinedLake`) and every construct
 * built on the same bucket (`GlueEtlJob`, `AthenaCatalog`) follows it: a job writing one layout and a catalog
 * reading another cannot be synthesized.
 *
 * Buckets are matched by object (the `refinedLake.bucket` passed around) and, when the name is known at synth
 * time, by name within the app (the same bucket imported twice).
 */
interface Binding {
  readonly granularity: PartitionGranularity;
  /** Who fixed it, for error messages. */
  readonly by: string;
  /** True when a RefinedLake declared it; false when a reader took the default. */
  readonly declared: boolean;
}

const byBucket = new WeakMap<object, Binding>();
const byName = new WeakMap<object, Map<string, Binding>>();

/** Throws unless `value` is a `PartitionGranularity` (or undefined: the default). */
export function checkPartitionGranularity(value: PartitionGranularity | undefined, propName: string): PartitionGranularity {
  if (value === undefined) {
    return WeatherContract.DEFAULT_PARTITION_GRANULARITY;
  }
  if (!(Object.values(PartitionGranularity) as string[]).includes(value)) {
    throw new Error(`${propName} must be PartitionGranularity.DAY or PartitionGranularity.MONTH, got ${JSON.stringify(value)}`);
  }
  return value;
}

function names(bucket: s3.IBucket): Map<string, Binding> | undefined {
  if (Token.isUnresolved(bucket.bucketName)) {
    return undefined;
  }
  const root = bucket.node.root;
  let map = byName.get(root);
  if (map === undefined) {
    map = new Map();
    byName.set(root, map);
  }
  return map;
}

function lookup(bucket: s3.IBucket): Binding | undefined {
  return byBucket.get(bucket) ?? names(bucket)?.get(bucket.bucketName);
}

function bind(bucket: s3.IBucket, binding: Binding): void {
  byBucket.set(bucket, binding);
  names(bucket)?.set(bucket.bucketName, binding);
}

function describe(bucket: s3.IBucket): string {
  return Token.isUnresolved(bucket.bucketName) ? `the bucket ${bucket.node.path}` : `the bucket "${bucket.bucketName}"`;
}

/** A RefinedLake declares the granularity of its bucket. Throws when the bucket is already used with another one. */
export function declarePartitionGranularity(bucket: s3.IBucket, granularity: PartitionGranularity, owner: IConstruct): void {
  const existing = lookup(bucket);
  if (existing !== undefined && existing.granularity !== granularity) {
    throw new Error(existing.declared
      ? `partitionGranularity is ${granularity}, but ${existing.by} already declared ${existing.granularity} partitions for ${describe(bucket)}; `
        + 'one refined bucket has one layout: give every RefinedLake on it the same partitionGranularity'
      : `partitionGranularity is ${granularity}, but ${existing.by} already uses ${describe(bucket)} with ${existing.granularity} partitions `
        + '(the default, as no RefinedLake had declared one); create the RefinedLake before the constructs that use its bucket');
  }
  if (existing === undefined || !existing.declared) {
    bind(bucket, { granularity, by: `RefinedLake ${owner.node.path}`, declared: true });
  }
}

/**
 * The granularity a construct reading or writing `bucket` must use: the one its RefinedLake declared, else the
 * default (`DAY`), which is then fixed for the bucket so that a RefinedLake declaring another one later fails.
 */
export function partitionGranularityOf(bucket: s3.IBucket, user: IConstruct): PartitionGranularity {
  const existing = lookup(bucket);
  if (existing !== undefined) {
    return existing.granularity;
  }
  const granularity = WeatherContract.DEFAULT_PARTITION_GRANULARITY;
  bind(bucket, { granularity, by: `${user.constructor.name} ${user.node.path}`, declared: false });
  return granularity;
}
