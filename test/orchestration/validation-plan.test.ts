import { planRun, planValidation, sqlLiteral } from '../../src/orchestration/private/validation-plan';

describe('planValidation (the planner Lambda)', () => {
  test('date range of the hourly partitions, sorted distinct cities, SQL literals', () => {
    const plan = planValidation({
      runId: 'b1',
      summary: {
        partitions: {
          hourly: [
            'weather/hourly/date=2026-05-08/city=oslo/',
            'weather/hourly/date=2026-05-06/city=saint-etienne/',
            'weather/hourly/date=2026-05-07/city=oslo/',
          ],
          quarantine: ['weather/quarantine/date=2026-05-07/'],
        },
      },
    });
    expect(plan).toEqual({
      runId: 'b1',
      firstDate: '2026-05-06',
      lastDate: '2026-05-08',
      citySlugs: 'oslo,saint-etienne',
      sourceIds: 'open-meteo',
      executionParameters: { firstDate: "'2026-05-06'", lastDate: "'2026-05-08'", citySlugs: "'oslo,saint-etienne'", runId: "'b1'", sourceIds: "'open-meteo'" },
      counts: {},
    });
  });

  test('the plan keeps the run\'s counts, not its listings', () => {
    const plan = planValidation({
      runId: 'b1',
      summary: {
        hourly_dates: ['2026-05-07'],
        records_in: 10,
        refined: 8,
        quarantined: 1,
        superseded: 1,
        partitions_written: 1,
        reconciled: true,
        quarantined_by_reason: { out_of_range: 1 },
        partitions: { hourly: ['weather/hourly/date=2026-05-07/city=oslo/'] },
      } as any,
    });
    expect(plan.counts).toEqual({ records_in: 10, refined: 8, quarantined: 1, superseded: 1, partitions_written: 1, reconciled: true });
  });

  test('planRun reads the summary where the state machine says, and names an unreadable one', async () => {
    const reads: string[] = [];
    const plan = await planRun({ runId: 'b1', bucket: 'refined', summaryKey: 'weather/run-summaries/date=2026-05-07/b1.json' },
      async (bucket, key) => { reads.push(`${bucket}/${key}`); return JSON.stringify({ hourly_dates: ['2026-05-07'], partitions: { hourly: [] } }); });
    expect(reads).toEqual(['refined/weather/run-summaries/date=2026-05-07/b1.json']);
    expect(plan.firstDate).toBe('2026-05-07');
    await expect(planRun({ runId: 'b1', bucket: 'refined', summaryKey: 'k' }, async () => 'not json')).rejects.toMatchObject({
      name: 'RunSummaryUnreadable',
      message: expect.stringContaining('run b1: the run summary s3://refined/k could not be read'),
    });
  });

  test('a run that refined nothing is checked on its quarantine dates, else its processing date', () => {
    expect(planValidation({ runId: 'r', summary: { partitions: { hourly: [], quarantine: ['weather/quarantine/date=2026-05-07/'] } } }))
      .toMatchObject({ firstDate: '2026-05-07', lastDate: '2026-05-07', citySlugs: '' });
    expect(planValidation({ runId: 'r', summary: { processed_at: '2026-05-09T01:02:03Z' } }))
      .toMatchObject({ firstDate: '2026-05-09', lastDate: '2026-05-09' });
    expect(() => planValidation({ runId: 'r', summary: {} })).toThrow('run r: the run summary names no partition and no processed_at date');
    expect(() => planValidation({ runId: '', summary: {} })).toThrow('runId must be a non-empty string, got ""');
  });

  test('every source the run wrote and every configured one is expected; a summary without sources means Open-Meteo', () => {
    const summary = { hourly_sources: ['open-meteo', 'met-norway'], partitions: { hourly: ['weather/hourly/date=2026-05-07/city=oslo/'] } };
    expect(planValidation({ runId: 'r', summary }).sourceIds).toBe('met-norway,open-meteo');
    expect(planValidation({ runId: 'r', summary: { ...summary, hourly_sources: ['met-norway'] }, expectedSources: 'open-meteo,met-norway' }))
      .toMatchObject({ sourceIds: 'met-norway,open-meteo', executionParameters: expect.objectContaining({ sourceIds: "'met-norway,open-meteo'" }) });
    expect(planValidation({ runId: 'r', summary: { partitions: summary.partitions } }).sourceIds).toBe('open-meteo');
  });

  test('quotes are escaped in literals', () => {
    expect(sqlLiteral("it's")).toBe("'it''s'");
  });
});

describe('a configured city the run did not write', () => {
  const summary = {
    partitions: { hourly: ['weather/hourly/date=2026-05-07/city=lyon/', 'weather/hourly/date=2026-05-08/city=lyon/'] },
  };

  test('FAIL (the default): the checks expect every configured city; nothing is checked apart', () => {
    const plan = planValidation({ runId: 'b1', summary, expectedCities: 'lyon,oslo' });
    expect(plan.citySlugs).toBe('lyon,oslo');
    expect(plan.missingCities).toBeUndefined();
    expect(planValidation({ runId: 'b1', summary, expectedCities: 'lyon,oslo', missingCityAction: 'FAIL' })).toEqual(plan);
  });

  test('ALERT: the checks expect the cities the run wrote; the others are checked apart, with their own parameters', () => {
    const plan = planValidation({ runId: 'b1', summary, expectedCities: 'lyon,oslo,paris', missingCityAction: 'ALERT' });
    expect(plan.citySlugs).toBe('lyon');
    expect(plan.executionParameters.citySlugs).toBe("'lyon'");
    // The plan's parameters, with the cities not written.
    expect(plan.missingCities).toEqual({ citySlugs: 'oslo,paris', executionParameters: { ...plan.executionParameters, citySlugs: "'oslo,paris'" } });
    expect(plan.missingCities?.executionParameters).toMatchObject({ firstDate: "'2026-05-07'", lastDate: "'2026-05-08'", runId: "'b1'" });
  });

  test('ALERT with every configured city written: nothing to check apart', () => {
    const plan = planValidation({ runId: 'b1', summary, expectedCities: 'lyon', missingCityAction: 'ALERT' });
    expect(plan.citySlugs).toBe('lyon');
    expect(plan.missingCities).toBeUndefined();
  });

  test('ALERT when the run wrote no city at all: every configured city is expected, as with FAIL', () => {
    const plan = planValidation({ runId: 'b1', summary: { processed_at: '2026-05-07T06:30:00Z' }, expectedCities: 'lyon,oslo', missingCityAction: 'ALERT' });
    expect(plan.citySlugs).toBe('lyon,oslo');
    expect(plan.missingCities).toBeUndefined();
  });

  test('planRun passes the action on', async () => {
    const plan = await planRun({ runId: 'b1', bucket: 'refined', summaryKey: 'k', expectedCities: 'lyon,oslo', missingCityAction: 'ALERT' },
      async () => JSON.stringify(summary));
    expect(plan.missingCities?.citySlugs).toBe('oslo');
  });
});
