// Athena's documented rules for the SQL this library ships, where Athena engine version 3 is stricter than the
// Trino the local tests run on. Trino accepts every query that breaks them, so only this check can catch them.
//
// Sources (AWS documentation):
// - Parameterized queries, "Considerations and limitations"
//   (https://docs.aws.amazon.com/athena/latest/ug/querying-with-prepared-statements.html): only SELECT, INSERT INTO,
//   CTAS and UNLOAD take parameters; `?` may be placed only in the WHERE clause; `?` may not be quoted; at most 25
//   `?` for a query run with execution parameters in the console.
// - Athena engine version 3, "Limitations" and "Breaking changes"
//   (https://docs.aws.amazon.com/athena/latest/ug/engine-versions-reference-0003.html): functions take at most 127
//   arguments; CONCAT takes at least two; SKIP is reserved; a zero-length delimited identifier is not allowed.
// - Reserved keywords (https://docs.aws.amazon.com/athena/latest/ug/reserved-words.html): the SELECT reserved words
//   must be double-quoted when used as identifiers.

/** Athena's reserved keywords in SELECT statements, plus SKIP (engine version 3). */
export const ATHENA_SELECT_RESERVED = new Set([
  'ALTER', 'AND', 'AS', 'BETWEEN', 'BY', 'CASE', 'CAST', 'CONSTRAINT', 'CREATE', 'CROSS', 'CUBE', 'CURRENT_DATE',
  'CURRENT_PATH', 'CURRENT_TIME', 'CURRENT_TIMESTAMP', 'CURRENT_USER', 'DEALLOCATE', 'DELETE', 'DESCRIBE', 'DISTINCT',
  'DROP', 'ELSE', 'END', 'ESCAPE', 'EXCEPT', 'EXECUTE', 'EXISTS', 'EXTRACT', 'FALSE', 'FIRST', 'FOR', 'FROM', 'FULL',
  'GROUP', 'GROUPING', 'HAVING', 'IN', 'INNER', 'INSERT', 'INTERSECT', 'INTO', 'IS', 'JOIN', 'LAST', 'LEFT', 'LIKE',
  'LOCALTIME', 'LOCALTIMESTAMP', 'NATURAL', 'NORMALIZE', 'NOT', 'NULL', 'ON', 'OR', 'ORDER', 'OUTER', 'PREPARE',
  'RECURSIVE', 'RIGHT', 'ROLLUP', 'SELECT', 'TABLE', 'THEN', 'TRUE', 'UNESCAPE', 'UNION', 'UNNEST', 'USING', 'VALUES',
  'WHEN', 'WHERE', 'WITH', 'SKIP',
]);

/** Most `?` a query run with execution parameters may hold in the Athena console. */
export const MAX_CONSOLE_PARAMETERS = 25;
/** Most arguments of one function call (engine version 3). */
export const MAX_FUNCTION_ARGUMENTS = 127;

type TokenKind = 'word' | 'quoted' | 'string' | 'number' | 'param' | 'punct';

interface Token {
  readonly kind: TokenKind;
  readonly text: string;
  readonly offset: number;
}

/** Splits SQL into tokens, dropping comments and whitespace. Strings keep their quotes. */
export function tokenize(sql: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < sql.length) {
    const c = sql[i];
    if (/\s/.test(c)) {
      i++;
    } else if (sql.startsWith('--', i)) {
      const end = sql.indexOf('\n', i);
      i = end < 0 ? sql.length : end;
    } else if (sql.startsWith('/*', i)) {
      const end = sql.indexOf('*/', i + 2);
      if (end < 0) throw new Error(`unterminated comment at ${i}`);
      i = end + 2;
    } else if (c === "'" || c === '"') {
      let j = i + 1;
      for (;;) {
        if (j >= sql.length) throw new Error(`unterminated ${c} at ${i}`);
        if (sql[j] === c && sql[j + 1] === c) { j += 2; continue; }
        if (sql[j] === c) break;
        j++;
      }
      tokens.push({ kind: c === "'" ? 'string' : 'quoted', text: sql.slice(i, j + 1), offset: i });
      i = j + 1;
    } else if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(sql.slice(i))!;
      tokens.push({ kind: 'word', text: m[0], offset: i });
      i += m[0].length;
    } else if (/[0-9]/.test(c)) {
      const m = /^[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?/.exec(sql.slice(i))!;
      tokens.push({ kind: 'number', text: m[0], offset: i });
      i += m[0].length;
    } else if (c === '?') {
      tokens.push({ kind: 'param', text: c, offset: i });
      i++;
    } else {
      const two = sql.slice(i, i + 2);
      const text = ['<=', '>=', '<>', '!=', '||'].includes(two) ? two : c;
      tokens.push({ kind: 'punct', text, offset: i });
      i += text.length;
    }
  }
  return tokens;
}

/** The keywords that open a clause of a query; `?` is allowed only while the innermost query is in WHERE. */
const CLAUSES = new Set(['SELECT', 'FROM', 'WHERE', 'GROUP', 'HAVING', 'ORDER', 'JOIN', 'ON', 'WINDOW', 'LIMIT',
  'OFFSET', 'UNION', 'INTERSECT', 'EXCEPT', 'VALUES', 'WITH']);

interface Frame {
  /** A query level: the statement itself, or parentheses that hold a SELECT (a subquery or a CTE body). */
  query: boolean;
  clause?: string;
  /** For a function call's parentheses: its name and how many top-level commas it has seen. */
  fn?: string;
  commas: number;
  empty: boolean;
}

/** What one query breaks of Athena's rules, as readable findings (empty: the query is fine). */
export function athenaFindings(sql: string, declaredParameters?: number): string[] {
  const findings: string[] = [];
  const tokens = tokenize(sql);
  const line = (offset: number) => sql.slice(0, offset).split('\n').length;
  const first = tokens[0]?.text.toUpperCase();
  const parameterCount = tokens.filter((t) => t.kind === 'param').length;
  if (parameterCount > 0 && first !== 'SELECT' && first !== 'WITH') {
    findings.push(`parameters in a ${first} statement: Athena takes them only in SELECT, INSERT INTO, CTAS and UNLOAD`);
  }
  if (parameterCount > MAX_CONSOLE_PARAMETERS) {
    findings.push(`${parameterCount} parameters: the Athena console runs at most ${MAX_CONSOLE_PARAMETERS}`);
  }
  if (declaredParameters !== undefined && declaredParameters !== parameterCount) {
    findings.push(`${parameterCount} "?" in the SQL but ${declaredParameters} declared parameters`);
  }
  const stack: Frame[] = [{ query: true, commas: 0, empty: true }];
  const top = () => stack[stack.length - 1];
  tokens.forEach((token, index) => {
    const upper = token.text.toUpperCase();
    const previous = tokens[index - 1];
    const frame = top();
    if (token.text !== ')') frame.empty = false;
    if (token.kind === 'string' && /^'\?'$/.test(token.text)) {
      findings.push(`line ${line(token.offset)}: a quoted '?' is not a parameter in Athena`);
    }
    if (token.kind === 'quoted' && token.text === '""') {
      findings.push(`line ${line(token.offset)}: zero-length delimited identifier`);
    }
    if (token.kind === 'word' && previous?.kind === 'word' && previous.text.toUpperCase() === 'AS'
      && ATHENA_SELECT_RESERVED.has(upper) && !isCastTarget(tokens, index)) {
      findings.push(`line ${line(token.offset)}: alias ${token.text} is reserved in Athena and must be double-quoted`);
    }
    if (token.text === '(') {
      const isCall = previous?.kind === 'word' && !ATHENA_SELECT_RESERVED.has(previous.text.toUpperCase())
        && !CLAUSES.has(previous.text.toUpperCase());
      stack.push({ query: false, fn: isCall ? previous.text.toLowerCase() : undefined, commas: 0, empty: true });
      return;
    }
    if (token.text === ')') {
      const closed = stack.pop()!;
      if (stack.length === 0) throw new Error(`unbalanced ) at line ${line(token.offset)}`);
      if (closed.fn !== undefined) {
        const args = closed.empty ? 0 : closed.commas + 1;
        if (args > MAX_FUNCTION_ARGUMENTS) {
          findings.push(`line ${line(token.offset)}: ${closed.fn}() takes ${args} arguments, Athena allows at most ${MAX_FUNCTION_ARGUMENTS}`);
        }
        if (closed.fn === 'concat' && args < 2) {
          findings.push(`line ${line(token.offset)}: concat() needs at least two arguments in Athena`);
        }
      }
      return;
    }
    if (token.text === ',' && frame.fn !== undefined) {
      frame.commas++;
      return;
    }
    if (token.kind === 'word' && upper === 'SELECT') {
      frame.query = true;
      frame.fn = undefined;
    }
    if (token.kind === 'word' && frame.query && CLAUSES.has(upper)) {
      frame.clause = upper;
    }
    if (token.kind === 'param') {
      // The innermost query level decides: expressions in parentheses (calls, casts, FILTER (WHERE ...)) belong
      // to the clause of the query around them.
      const query = [...stack].reverse().find((f) => f.query)!;
      if (query.clause !== 'WHERE') {
        findings.push(`line ${line(token.offset)}: "?" in ${query.clause ?? 'no'} clause; Athena takes parameters only in WHERE`);
      }
    }
  });
  if (stack.length !== 1) throw new Error('unbalanced (');
  return findings;
}

/** `CAST(x AS date)`: the word after AS is a type, not an alias. */
function isCastTarget(tokens: Token[], index: number): boolean {
  let depth = 0;
  for (let i = index - 1; i >= 0; i--) {
    const t = tokens[i].text;
    if (t === ')') depth++;
    if (t === '(') {
      if (depth === 0) return /^(try_)?cast$/i.test(tokens[i - 1]?.text ?? '');
      depth--;
    }
  }
  return false;
}
