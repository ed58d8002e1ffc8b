import { ColumnDefinition } from '../../contract/definitions';
import { PartitionGranularity } from '../../contract/partition-granularity';

/** A QuickSight input column: the name Athena returns and QuickSight's type for it. */
export interface InputColumn {
  readonly name: string;
  readonly type: string;
}

/** What a dataset reads: one catalog table, its columns, partition keys and granularity. */
export interface DatasetSource {
  readonly database: string;
  readonly table: string;
  /** The table's columns, partition keys excluded. */
  readonly columns: ColumnDefinition[];
  /** The table's partition keys (strings): `date`, `city` or `month`, `city`. */
  readonly partitionKeys: string[];
  readonly granularity: PartitionGranularity;
  /** The column that holds the row's UTC day when partitions are monthly (`date` for hourly, `day` for daily). */
  readonly monthlyDayColumn: string;
  /** How many days back the dataset reads. */
  readonly lookbackDays: number;
}

/** QuickSight's input column type for a Glue / Hive type. */
export function quickSightType(glueType: string): string {
  const type = glueType.toLowerCase();
  if (type === 'string' || type.startsWith('varchar') || type.startsWith('char')) return 'STRING';
  if (type === 'int' || type === 'integer' || type === 'bigint' || type === 'smallint' || type === 'tinyint') return 'INTEGER';
  if (type === 'double' || type === 'float' || type.startsWith('decimal')) return 'DECIMAL';
  if (type === 'boolean') return 'BOOLEAN';
  if (type === 'timestamp' || type === 'date') return 'DATETIME';
  throw new Error(`no QuickSight column type for the Glue type "${glueType}"`);
}

/** The dataset's columns: the table's columns, then its partition keys (strings). */
export function inputColumns(source: DatasetSource): InputColumn[] {
  const names = new Set(source.columns.map((column) => column.name));
  return [
    ...source.columns.map((column) => ({ name: column.name, type: quickSightType(column.dataType) })),
    ...source.partitionKeys.filter((key) => !names.has(key)).map((key) => ({ name: key, type: 'STRING' })),
  ];
}

const quote = (identifier: string) => `"${identifier.replace(/"/g, '""')}"`;

/**
 * The dataset's SQL: every column of the table, for the last `lookbackDays` days (forecast days included), filtered
 * on the partition keys so that Athena reads only those partitions whatever the visuals ask for.
 */
export function datasetSql(source: DatasetSource): string {
  const firstDay = `current_date - INTERVAL '${source.lookbackDays}' DAY`;
  const since = `CAST(${firstDay} AS varchar)`;
  // The day column is a `date` (daily table) or a `yyyy-MM-dd` string (hourly table): compare like with like.
  const dayType = source.columns.find((column) => column.name === source.monthlyDayColumn)?.dataType;
  const dayFilter = `${quote(source.monthlyDayColumn)} >= ${dayType === 'date' ? firstDay : since}`;
  const filter = source.granularity === PartitionGranularity.MONTH
    ? `${quote('month')} >= substr(${since}, 1, 7) AND ${dayFilter}`
    : `${quote('date')} >= ${since}`;
  return [
    `SELECT ${inputColumns(source).map((column) => quote(column.name)).join(', ')}`,
    `FROM ${quote(source.database)}.${quote(source.table)}`,
    `WHERE ${filter}`,
  ].join('\n');
}
