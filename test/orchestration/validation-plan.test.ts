import { planValidation, sqlLiteral } from '../../src/orchestration/private/validation-plan';

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
      executionParameters: { firstDate: "'2026-05-06'", lastDate: "'2026-05-08'", citySlugs: "'oslo,saint-etienne'", runId: "'b1'" },
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

  test('quotes are escaped in literals', () => {
    expect(sqlLiteral("it's")).toBe("'it''s'");
  });
});
