import * as quicksight from 'aws-cdk-lib/aws-quicksight';

/** Identifiers of the two datasets inside the dashboard definition. */
export const HOURLY_DATASET = 'hourly';
export const DAILY_DATASET = 'daily';

/** Ids of the visuals, in the order the sheet shows them. */
export const VISUAL_IDS = {
  temperature: 'temperature-per-city',
  precipitation: 'precipitation-per-day',
  latestDay: 'latest-day',
  freshness: 'data-freshness',
};

const SHEET_ID = 'weather';

type Visual = quicksight.CfnDashboard.VisualProperty;
type Column = quicksight.CfnDashboard.ColumnIdentifierProperty;

const daily = (columnName: string): Column => ({ dataSetIdentifier: DAILY_DATASET, columnName });
const hourly = (columnName: string): Column => ({ dataSetIdentifier: HOURLY_DATASET, columnName });
const title = (text: string) => ({ visibility: 'VISIBLE', formatText: { plainText: text } });

/** Daily mean temperature per city, one line per city. */
function temperatureVisual(): Visual {
  return {
    lineChartVisual: {
      visualId: VISUAL_IDS.temperature,
      title: title('Temperature per city (daily mean, °C)'),
      chartConfiguration: {
        fieldWells: {
          lineChartAggregatedFieldWells: {
            category: [{ dateDimensionField: { fieldId: 'temperature-day', column: daily('day'), dateGranularity: 'DAY' } }],
            values: [{
              numericalMeasureField: {
                fieldId: 'temperature-mean',
                column: daily('temperature_mean_c'),
                aggregationFunction: { simpleNumericalAggregation: 'AVERAGE' },
              },
            }],
            colors: [{ categoricalDimensionField: { fieldId: 'temperature-city', column: daily('city_name') } }],
            // One panel per weather source: two sources' figures for a city are not averaged together.
            smallMultiples: [{ categoricalDimensionField: { fieldId: 'temperature-source', column: daily('source') } }],
          },
        },
      },
    },
  };
}

/** Precipitation per day, one bar per city. */
function precipitationVisual(): Visual {
  return {
    barChartVisual: {
      visualId: VISUAL_IDS.precipitation,
      title: title('Precipitation per day (mm)'),
      chartConfiguration: {
        orientation: 'VERTICAL',
        barsArrangement: 'CLUSTERED',
        fieldWells: {
          barChartAggregatedFieldWells: {
            category: [{ dateDimensionField: { fieldId: 'precipitation-day', column: daily('day'), dateGranularity: 'DAY' } }],
            values: [{
              numericalMeasureField: {
                fieldId: 'precipitation-sum',
                column: daily('precipitation_sum_mm'),
                aggregationFunction: { simpleNumericalAggregation: 'SUM' },
              },
            }],
            colors: [{ categoricalDimensionField: { fieldId: 'precipitation-city', column: daily('city_name') } }],
            smallMultiples: [{ categoricalDimensionField: { fieldId: 'precipitation-source', column: daily('source') } }],
          },
        },
      },
    },
  };
}

/** The daily rows of today (UTC), one per source and city: the figures and whether the day is complete. */
function latestDayVisual(): Visual {
  const columns = [
    'city_name', 'source', 'day', 'temperature_min_c', 'temperature_max_c', 'temperature_mean_c', 'precipitation_sum_mm',
    'wind_speed_max_kmh', 'dominant_weather_code', 'hours_present', 'is_complete', 'has_forecast_hours',
  ];
  return {
    tableVisual: {
      visualId: VISUAL_IDS.latestDay,
      title: title('Today (UTC), per city'),
      chartConfiguration: {
        fieldWells: {
          tableUnaggregatedFieldWells: {
            values: columns.map((name) => ({ fieldId: `latest-${name}`, column: daily(name) })),
          },
        },
      },
    },
  };
}

/** When each city's data (of each source, once the hourly table has a `source` column) was last fetched and processed. */
function freshnessVisual(hourlyColumns: string[]): Visual {
  const latest = (fieldId: string, columnName: string) => ({
    dateMeasureField: { fieldId, column: hourly(columnName), aggregationFunction: 'MAX' },
  });
  return {
    tableVisual: {
      visualId: VISUAL_IDS.freshness,
      title: title('Data freshness per city (UTC)'),
      chartConfiguration: {
        fieldWells: {
          tableAggregatedFieldWells: {
            groupBy: [
              { categoricalDimensionField: { fieldId: 'freshness-city', column: hourly('city_name') } },
              ...(hourlyColumns.includes('source')
                ? [{ categoricalDimensionField: { fieldId: 'freshness-source', column: hourly('source') } }]
                : []),
            ],
            values: [latest('freshness-fetched', 'fetched_at'), latest('freshness-processed', 'processed_at')],
          },
        },
      },
    },
  };
}

/**
 * The dashboard: one sheet with the daily temperature and precipitation per city (a panel per source), today's
 * daily rows and the data freshness per city. The latest-day table is filtered to today (UTC) by a relative-date
 * filter scoped to it. `hourlyColumns` are the hourly dataset's column names.
 */
export function dashboardDefinition(
  hourlyDataSetArn: string, dailyDataSetArn: string, hourlyColumns: string[],
): quicksight.CfnDashboard.DashboardVersionDefinitionProperty {
  const visuals = [temperatureVisual(), precipitationVisual(), latestDayVisual(), freshnessVisual(hourlyColumns)];
  const element = (elementId: string, columnIndex: number, rowIndex: number, columnSpan: number, rowSpan: number) =>
    ({ elementId, elementType: 'VISUAL', columnIndex, rowIndex, columnSpan, rowSpan });
  return {
    dataSetIdentifierDeclarations: [
      { identifier: DAILY_DATASET, dataSetArn: dailyDataSetArn },
      { identifier: HOURLY_DATASET, dataSetArn: hourlyDataSetArn },
    ],
    sheets: [{
      sheetId: SHEET_ID,
      name: 'Weather',
      visuals,
      layouts: [{
        configuration: {
          gridLayout: {
            elements: [
              element(VISUAL_IDS.temperature, 0, 0, 18, 12),
              element(VISUAL_IDS.precipitation, 18, 0, 18, 12),
              element(VISUAL_IDS.latestDay, 0, 12, 24, 10),
              element(VISUAL_IDS.freshness, 24, 12, 12, 10),
            ],
          },
        },
      }],
    }],
    filterGroups: [{
      filterGroupId: 'latest-day-today',
      crossDataset: 'SINGLE_DATASET',
      status: 'ENABLED',
      filters: [{
        relativeDatesFilter: {
          filterId: 'latest-day-is-today',
          column: daily('day'),
          anchorDateConfiguration: { anchorOption: 'NOW' },
          timeGranularity: 'DAY',
          relativeDateType: 'THIS',
          nullOption: 'NON_NULLS_ONLY',
        },
      }],
      scopeConfiguration: {
        selectedSheets: {
          sheetVisualScopingConfigurations: [{ sheetId: SHEET_ID, scope: 'SELECTED_VISUALS', visualIds: [VISUAL_IDS.latestDay] }],
        },
      },
    }],
  };
}
