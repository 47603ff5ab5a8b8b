import { createReadStream } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { categoryFamilies, categoryFamily, detailedCategories, familyWeights, type CategoryKey } from './categories.ts';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const iowaCsv = path.resolve(repoRoot, '..', 'shared', 'data', 'liquor', 'IA_liquor_sales_2012-01-31.csv');

/** One CSV line into fields; the extract quotes fields containing commas and has no embedded newlines. */
function splitCsvLine(line: string): string[] {
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') {
        quoted = false;
      } else {
        field += ch;
      }
    } else if (ch === '"') {
      quoted = true;
    } else if (ch === ',') {
      fields.push(field);
      field = '';
    } else {
      field += ch;
    }
  }
  fields.push(field);
  return fields;
}

/** Rows per `category_name` in the Iowa extract. */
async function iowaCategoryRows(): Promise<Map<string, number>> {
  const lines = createInterface({ input: createReadStream(iowaCsv, 'utf8'), crlfDelay: Infinity });
  let column = -1;
  let width = 0;
  const counts = new Map<string, number>();
  for await (const line of lines) {
    const fields = splitCsvLine(line);
    if (column < 0) {
      column = fields.indexOf('category_name');
      width = fields.length;
      continue;
    }
    if (!line) continue;
    expect(fields).toHaveLength(width);
    const name = fields[column]!;
    counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  return counts;
}

describe('the liquor category taxonomy', () => {
  let iowa: Map<string, number>;
  beforeAll(async () => {
    iowa = await iowaCategoryRows();
  });

  // The README's "69 distinct values" counts the empty one: 68 names plus 3 uncategorised rows.
  it('reads the 68 category names and 3 uncategorised rows of the Iowa extract', () => {
    expect([...iowa.values()].reduce((a, b) => a + b, 0)).toBe(9510);
    expect(iowa.get('')).toBe(3);
    expect([...iowa.keys()].filter(Boolean)).toHaveLength(68);
  });

  it('maps every category name in the Iowa extract to a family', () => {
    const unmapped = [...iowa.keys()].filter((name) => name && categoryFamily(name) === undefined);
    expect(unmapped).toEqual([]);
  });

  it('weights each Iowa category by its row count in the extract', () => {
    const spirits = detailedCategories.filter((c) => c.family !== 'wine' && c.family !== 'beer_seltzer');
    expect(new Map(spirits.map((c) => [c.name, c.weight]))).toEqual(new Map([...iowa].filter(([name]) => name !== '')));
  });

  it('gives spirit families 55% of orders in Iowa row proportions, wine 25% and beer 20%', () => {
    const total = Object.values(familyWeights).reduce((a, b) => a + b, 0);
    expect(total).toBeCloseTo(1, 12);
    expect(familyWeights.wine).toBe(0.25);
    expect(familyWeights.beer_seltzer).toBe(0.2);
    const rowsOf = (family: CategoryKey) =>
      [...iowa].filter(([name]) => name && categoryFamily(name) === family).reduce((s, [, n]) => s + n, 0);
    const categorised = [...iowa].filter(([name]) => name).reduce((s, [, n]) => s + n, 0);
    for (const { key } of categoryFamilies) {
      if (key === 'wine' || key === 'beer_seltzer') continue;
      expect(familyWeights[key], key).toBeCloseTo((0.55 * rowsOf(key)) / categorised, 12);
    }
    // The extract's biggest spirit families, as a sanity check on the shares above.
    expect(familyWeights.whiskey).toBeGreaterThan(familyWeights.vodka);
    expect(familyWeights.vodka).toBeGreaterThan(familyWeights.rum);
  });

  it("agrees with each detailed category's own family", () => {
    for (const c of detailedCategories) expect(categoryFamily(c.name), c.name).toBe(c.family);
  });

  it.each<[string, CategoryKey | undefined]>([
    ['VODKA 80 PROOF', 'vodka'],
    ['vodka flavored', 'vodka'],
    ['STRAIGHT BOURBON WHISKIES', 'whiskey'],
    ['SINGLE MALT SCOTCH', 'whiskey'],
    ['SPICED RUM', 'rum'],
    ['PUERTO RICO & VIRGIN ISLANDS RUM', 'rum'],
    ['TEQUILA', 'tequila_mezcal'],
    ['AMERICAN SLOE GINS', 'gin'],
    ['MISCELLANEOUS  BRANDIES', 'brandy_cognac'],
    ['MISC. IMPORTED CORDIALS & LIQUEURS', 'liqueurs_cordials'],
    ['WHISKEY LIQUEUR', 'liqueurs_cordials'],
    ['ROCK & RYE', 'liqueurs_cordials'],
    ['TRIPLE SEC', 'liqueurs_cordials'],
    ['PEPPERMINT SCHNAPPS', 'schnapps'],
    ['ROOT BEER SCHNAPPS', 'schnapps'],
    ['BUTTERSCOTCH SCHNAPPS', 'schnapps'],
    ['AMERICAN COCKTAILS', 'cocktails_rtd'],
    ['DISTILLED SPIRITS SPECIALTY', 'other_spirits'],
    ['AMERICAN ALCOHOL', 'other_spirits'],
    ['DECANTERS & SPECIALTY PACKAGES', 'other_spirits'],
    // Names from the full Iowa data set and other retailers' systems.
    ['AMERICAN VODKAS', 'vodka'],
    ['Imported Flavored Vodka', 'vodka'],
    ['CORN WHISKIES', 'whiskey'],
    ['Mezcal', 'tequila_mezcal'],
    ['IMPORTED GIN', 'gin'],
    ['VS Cognac', 'brandy_cognac'],
    ['COCKTAILS /RTD', 'cocktails_rtd'],
    ['NEUTRAL GRAIN SPIRITS', 'other_spirits'],
    ['Pinot Noir Wine', 'wine'],
    ['Hard Seltzer', 'beer_seltzer'],
    ['HIGH PROOF BEER - AMERICAN', 'beer_seltzer'],
    // Family keys and labels, in any case.
    ['tequila_mezcal', 'tequila_mezcal'],
    ['BEER_SELTZER', 'beer_seltzer'],
    ['Liqueurs & Cordials', 'liqueurs_cordials'],
    ['cocktails & ready-to-drink', 'cocktails_rtd'],
    // Not liquor categories at all.
    ['', undefined],
    ['   ', undefined],
    ['GIFT CARDS', undefined],
    ['Ice', undefined],
    ['Virgin Islands', undefined],
  ])('maps %j to %s', (name, family) => {
    expect(categoryFamily(name)).toBe(family);
  });
});
