/**
 * The liquor retail category taxonomy. Retailers' systems record detailed categories
 * ('VODKA 80 PROOF', 'STRAIGHT BOURBON WHISKIES'); marketing talks in families (vodka, whiskey).
 * `categoryFamily` maps the former to the latter, so a customer's primary category and a
 * campaign's offer speak the same language whatever the import looked like.
 */

export const categoryFamilies = [
  { key: 'vodka', label: 'Vodka' },
  { key: 'whiskey', label: 'Whiskey' },
  { key: 'rum', label: 'Rum' },
  { key: 'tequila_mezcal', label: 'Tequila & mezcal' },
  { key: 'gin', label: 'Gin' },
  { key: 'brandy_cognac', label: 'Brandy & cognac' },
  { key: 'liqueurs_cordials', label: 'Liqueurs & cordials' },
  { key: 'schnapps', label: 'Schnapps' },
  { key: 'cocktails_rtd', label: 'Cocktails & ready-to-drink' },
  { key: 'other_spirits', label: 'Other spirits & gift packs' },
  { key: 'wine', label: 'Wine' },
  { key: 'beer_seltzer', label: 'Beer & seltzer' },
] as const;

export type CategoryKey = (typeof categoryFamilies)[number]['key'];

export interface DetailedCategory {
  name: string;
  family: CategoryKey;
  /** Relative frequency within the family (see `detailedCategories`). */
  weight: number;
}

/**
 * Detailed categories, grouped by family. For spirits the names and weights are the 68
 * non-empty `category_name` values of the Iowa extract (../shared/data/liquor, 2012-01-31) and their row
 * counts. Iowa wholesales spirits only, so the wine and beer names and weights are assumptions.
 */
const detailed: Record<CategoryKey, [name: string, weight: number][]> = {
  vodka: [
    ['VODKA 80 PROOF', 1134],
    ['VODKA FLAVORED', 390],
    ['IMPORTED VODKA', 328],
    ['IMPORTED VODKA - MISC', 238],
    ['100 PROOF VODKA', 113],
    ['OTHER PROOF VODKA', 7],
    ['LOW PROOF VODKA', 1],
  ],
  whiskey: [
    ['CANADIAN WHISKIES', 927],
    ['BLENDED WHISKIES', 550],
    ['STRAIGHT BOURBON WHISKIES', 510],
    ['TENNESSEE WHISKIES', 221],
    ['SCOTCH WHISKIES', 220],
    ['SINGLE MALT SCOTCH', 74],
    ['IRISH WHISKIES', 68],
    ['STRAIGHT RYE WHISKIES', 22],
    ['BOTTLED IN BOND BOURBON', 9],
    ['SINGLE BARREL BOURBON WHISKIES', 8],
  ],
  rum: [
    ['SPICED RUM', 554],
    ['PUERTO RICO & VIRGIN ISLANDS RUM', 470],
    ['FLAVORED RUM', 277],
    ['JAMAICA RUM', 10],
    ['BARBADOS RUM', 1],
  ],
  tequila_mezcal: [['TEQUILA', 376]],
  gin: [
    ['AMERICAN DRY GINS', 234],
    ['IMPORTED DRY GINS', 70],
    ['FLAVORED GINS', 12],
    ['AMERICAN SLOE GINS', 4],
  ],
  brandy_cognac: [
    ['AMERICAN GRAPE BRANDIES', 238],
    ['BLACKBERRY BRANDIES', 83],
    ['IMPORTED GRAPE BRANDIES', 81],
    ['APRICOT BRANDIES', 57],
    ['CHERRY BRANDIES', 21],
    ['PEACH BRANDIES', 8],
    ['MISCELLANEOUS  BRANDIES', 3],
  ],
  liqueurs_cordials: [
    ['MISC. IMPORTED CORDIALS & LIQUEURS', 248],
    ['WHISKEY LIQUEUR', 214],
    ['CREAM LIQUEURS', 204],
    ['MISC. AMERICAN CORDIALS & LIQUEURS', 119],
    ['COFFEE LIQUEURS', 91],
    ['AMERICAN AMARETTO', 73],
    ['TRIPLE SEC', 53],
    ['IMPORTED AMARETTO', 20],
    ['GREEN CREME DE MENTHE', 8],
    ['WHITE CREME DE CACAO', 8],
    ['DARK CREME DE CACAO', 6],
    ['ROCK & RYE', 3],
    ['ANISETTE', 2],
    ['CREME DE ALMOND', 2],
    ['WHITE CREME DE MENTHE', 2],
  ],
  schnapps: [
    ['IMPORTED SCHNAPPS', 222],
    ['PEPPERMINT SCHNAPPS', 125],
    ['PEACH SCHNAPPS', 87],
    ['BUTTERSCOTCH SCHNAPPS', 53],
    ['CINNAMON SCHNAPPS', 53],
    ['MISCELLANEOUS SCHNAPPS', 45],
    ['APPLE SCHNAPPS', 43],
    ['ROOT BEER SCHNAPPS', 24],
    ['RASPBERRY SCHNAPPS', 22],
    ['TROPICAL FRUIT SCHNAPPS', 19],
    ['GRAPE SCHNAPPS', 18],
    ['STRAWBERRY SCHNAPPS', 15],
    ['WATERMELON SCHNAPPS', 13],
    ['SPEARMINT SCHNAPPS', 4],
    ['SCHNAPPS - IMPORTED', 1],
  ],
  cocktails_rtd: [['AMERICAN COCKTAILS', 348]],
  other_spirits: [
    ['AMERICAN ALCOHOL', 24],
    ['DISTILLED SPIRITS SPECIALTY', 17],
    ['DECANTERS & SPECIALTY PACKAGES', 2],
  ],
  wine: [
    ['RED WINE', 40],
    ['WHITE WINE', 30],
    ['SPARKLING WINE & CHAMPAGNE', 15],
    ['ROSE WINE', 8],
    ['FORTIFIED & DESSERT WINE', 7],
  ],
  beer_seltzer: [
    ['DOMESTIC BEER', 35],
    ['CRAFT BEER', 25],
    ['IMPORTED BEER', 20],
    ['HARD SELTZER', 15],
    ['HARD CIDER', 5],
  ],
};

export const detailedCategories: readonly DetailedCategory[] = categoryFamilies.flatMap(({ key }) =>
  detailed[key].map(([name, weight]) => ({ name, family: key, weight })),
);

/**
 * Assumption, not a measurement: a package store where wine is a quarter of the orders and beer
 * and seltzer a fifth. The Iowa extract cannot say, because the state wholesales spirits only.
 */
const nonSpiritShares: Partial<Record<CategoryKey, number>> = { wine: 0.25, beer_seltzer: 0.2 };

function computeFamilyWeights(): Record<CategoryKey, number> {
  const nonSpirits = Object.values(nonSpiritShares).reduce((a, b) => a + b, 0);
  const rows = (key: CategoryKey) => detailed[key].reduce((sum, [, n]) => sum + n, 0);
  const spiritRows = categoryFamilies.filter((f) => !(f.key in nonSpiritShares)).reduce((s, f) => s + rows(f.key), 0);
  const weights = {} as Record<CategoryKey, number>;
  for (const { key } of categoryFamilies) {
    weights[key] = nonSpiritShares[key] ?? ((1 - nonSpirits) * rows(key)) / spiritRows;
  }
  return weights;
}

/**
 * How often each family is bought, as shares of orders summing to 1: spirits split the 55% left
 * by wine and beer in proportion to the family's rows in the Iowa extract (9,507 categorised rows).
 */
export const familyWeights: Readonly<Record<CategoryKey, number>> = computeFamilyWeights();

export function familyLabel(key: CategoryKey): string {
  return categoryFamilies.find((f) => f.key === key)!.label;
}

const normalise = (name: string) => name.trim().toUpperCase().replace(/\s+/g, ' ');

const byName = new Map<string, CategoryKey>();
for (const family of categoryFamilies) {
  byName.set(normalise(family.key), family.key);
  byName.set(normalise(family.label), family.key);
}
for (const c of detailedCategories) byName.set(normalise(c.name), c.family);

/**
 * For names outside the table, e.g. the full Iowa data set's 'AMERICAN VODKAS' or 'MEZCAL'.
 * Order matters: flavoured spirits name their base ('ROOT BEER SCHNAPPS', 'WHISKEY LIQUEUR'),
 * so schnapps and liqueurs are recognised before the base spirits and beer.
 */
const rules: [CategoryKey, RegExp][] = [
  ['schnapps', /\bSCHNAPPS\b/],
  ['liqueurs_cordials', /\b(LIQUEURS?|CORDIALS?|CREMES?|AMARETTO|ANISETTE|TRIPLE SEC|CURACAO|SAMBUCA|AMARO)\b/],
  ['cocktails_rtd', /\b(COCKTAILS?|RTD|READY[ -]TO[ -]DRINK|PRE-?MIX(ED)?)\b/],
  ['vodka', /\bVODKAS?\b/],
  ['whiskey', /\b(WHISK(E)?Y|WHISKIES|WHISKEYS|BOURBONS?|SCOTCH|RYE)\b/],
  ['rum', /\bRUMS?\b/],
  ['tequila_mezcal', /\b(TEQUILAS?|MEZCALS?)\b/],
  ['gin', /\bGINS?\b/],
  ['brandy_cognac', /\b(BRANDY|BRANDIES|COGNACS?|ARMAGNAC|CALVADOS|PISCO)\b/],
  ['wine', /\b(WINES?|CHAMPAGNES?|PROSECCO|SAKE)\b/],
  ['beer_seltzer', /\b(BEERS?|SELTZERS?|ALES?|LAGERS?|CIDERS?|IPA|STOUTS?)\b/],
  ['other_spirits', /\b(ALCOHOL|NEUTRAL|GRAIN|SPIRITS?|SPECIALTY|DECANTERS?|PACKAGES?)\b/],
];

/** The family of a detailed category name or of a family key/label; undefined when unknown. */
export function categoryFamily(name: string): CategoryKey | undefined {
  const n = normalise(name);
  if (!n) return undefined;
  const known = byName.get(n);
  if (known) return known;
  return rules.find(([, pattern]) => pattern.test(n))?.[0];
}
