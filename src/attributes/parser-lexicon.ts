// The description parser's vocabulary: words and short phrases mapped to what they say about a person.
// Weights are unnormalised; ambiguous words spread their mass over the values they may mean.

/** Unnormalised weights over a slot's values. */
export type Dist = Readonly<Record<string, number>>;

/** Things a colour or length can attach to. */
export type Noun =
  | { kind: 'upper'; type?: Dist }
  /** `alsoUpper`: a dress colours the top as well. */
  | { kind: 'lower'; type?: Dist; defaultColour?: Dist; alsoUpper?: boolean; length?: 'short' | 'long' }
  /** `type`: the kind of footwear, when the word names one ("boots"). */
  | { kind: 'shoes'; type?: Dist }
  | { kind: 'bag'; type: Dist }
  /** `type`: the kind of hat, when the word names one ("cap"). */
  | { kind: 'hat'; type?: Dist }
  | { kind: 'glasses' }
  /** Worn items that are there or not: a face mask, a scarf. */
  | { kind: 'worn'; slot: 'mask' | 'scarf' }
  | { kind: 'held'; value: 'umbrella' | 'phone' | 'bottle' | 'cup' | 'box' | 'any' }
  | { kind: 'hair'; length?: 'short' | 'long' }
  | { kind: 'person'; gender?: 'man' | 'woman'; age?: Dist }
  /** anything / nothing: what it denies depends on the verb (holding, carrying); `negative` for nothing. */
  | { kind: 'anything'; negative?: boolean }
  /** clothes, outfit: a colour on it colours the top and the bottom. */
  | { kind: 'clothes' };

export type Word =
  | { t: 'noun'; noun: Noun }
  /** A colour word: its garment palette weights and, if it can describe hair, hair weights. */
  | { t: 'colour'; garment: Dist; hair?: Dist; hairOnly?: boolean; conf?: number }
  | { t: 'shade'; which: 'dark' | 'light' | 'bright' }
  | { t: 'length'; value: 'short' | 'long' }
  /** A garment pattern word ("striped", "plaid"): attaches to a garment as a colour does. */
  | { t: 'pattern'; value: 'plain' | 'stripes' | 'logo' | 'plaid' | 'print' }
  /** Direct evidence that needs no attachment (short sleeves, empty-handed), one or more slots. */
  | { t: 'fact'; facts: ReadonlyArray<{ slot: string; dist: Dist }> }
  | { t: 'place'; where: 'back' | 'shoulder' | 'hand' }
  | { t: 'neg' }
  | { t: 'uncertain' }
  | { t: 'hedge' }
  | { t: 'copula' }
  | { t: 'in' }
  | { t: 'verb'; verb: 'wear' | 'carry' | 'hold' }
  | { t: 'with' }
  | { t: 'all' }
  | { t: 'and' }
  | { t: 'or' }
  | { t: 'but' }
  /** Phrases that would otherwise be misread ("nothing else"). */
  | { t: 'filler' };

const one = (value: string): Dist => ({ [value]: 1 });

// A "top" is most often a T-shirt, a jacket or a hoodie, sometimes a coat.
const UPPER_ANY: Dist = { 't-shirt': 0.3, jacket: 0.25, hoodie: 0.25, coat: 0.2 };
/** Anything held in the hands. */
export const HELD_ANY: Dist = { umbrella: 1, phone: 1, bottle: 1, cup: 1, box: 1 };
const BAG_ANY: Dist = { backpack: 1, handbag: 1, 'shoulder bag': 1 };

/** Colour words: garment weights over COLOUR_RGB's palette, hair weights over HAIR_RGB's. */
const COLOUR_WORDS: Record<string, Omit<Extract<Word, { t: 'colour' }>, 't'>> = {
  black: { garment: one('black'), hair: one('black') },
  ebony: { garment: one('black'), hair: one('black') },
  white: { garment: one('white'), hair: one('grey') },
  cream: { garment: { white: 0.7, yellow: 0.3 } },
  ivory: { garment: { white: 0.8, yellow: 0.2 } },
  'off white': { garment: { white: 0.8, grey: 0.2 } },
  grey: { garment: one('grey'), hair: one('grey') },
  gray: { garment: one('grey'), hair: one('grey') },
  silver: { garment: one('grey'), hair: one('grey') },
  charcoal: { garment: { grey: 0.6, black: 0.4 } },
  ash: { garment: one('grey'), hair: { grey: 0.7, blonde: 0.3 } },
  red: { garment: one('red'), hair: one('red') },
  crimson: { garment: one('red') },
  scarlet: { garment: one('red') },
  cherry: { garment: one('red') },
  maroon: { garment: { red: 0.6, brown: 0.2, purple: 0.2 } },
  burgundy: { garment: { red: 0.6, purple: 0.3, brown: 0.1 } },
  wine: { garment: { red: 0.6, purple: 0.4 } },
  blue: { garment: one('blue') },
  navy: { garment: { blue: 0.85, black: 0.15 } },
  'navy blue': { garment: { blue: 0.85, black: 0.15 } },
  denim: { garment: one('blue') },
  azure: { garment: one('blue') },
  cobalt: { garment: one('blue') },
  indigo: { garment: { blue: 0.6, purple: 0.4 } },
  teal: { garment: { blue: 0.5, green: 0.5 } },
  turquoise: { garment: { blue: 0.5, green: 0.5 } },
  cyan: { garment: { blue: 0.7, green: 0.3 } },
  green: { garment: one('green') },
  olive: { garment: { green: 0.7, brown: 0.3 } },
  khaki: { garment: { brown: 0.5, green: 0.3, yellow: 0.2 } },
  lime: { garment: { green: 0.8, yellow: 0.2 } },
  emerald: { garment: one('green') },
  mint: { garment: { green: 0.8, white: 0.2 } },
  yellow: { garment: one('yellow'), hair: one('blonde') },
  gold: { garment: { yellow: 0.8, orange: 0.2 }, hair: one('blonde') },
  golden: { garment: { yellow: 0.8, orange: 0.2 }, hair: one('blonde') },
  mustard: { garment: { yellow: 0.7, orange: 0.15, brown: 0.15 } },
  lemon: { garment: one('yellow') },
  brown: { garment: one('brown'), hair: one('brown') },
  chocolate: { garment: one('brown'), hair: one('brown') },
  coffee: { garment: one('brown') },
  camel: { garment: { brown: 0.8, yellow: 0.2 } },
  tan: { garment: { brown: 0.7, orange: 0.15, yellow: 0.15 } },
  beige: { garment: { brown: 0.5, white: 0.3, yellow: 0.2 } },
  chestnut: { garment: one('brown'), hair: one('brown') },
  pink: { garment: one('pink') },
  rose: { garment: one('pink') },
  magenta: { garment: { pink: 0.6, purple: 0.4 } },
  fuchsia: { garment: { pink: 0.6, purple: 0.4 } },
  salmon: { garment: { pink: 0.6, orange: 0.4 } },
  coral: { garment: { pink: 0.5, orange: 0.5 } },
  peach: { garment: { pink: 0.5, orange: 0.5 } },
  purple: { garment: one('purple') },
  violet: { garment: one('purple') },
  lilac: { garment: { purple: 0.7, pink: 0.3 } },
  lavender: { garment: { purple: 0.7, pink: 0.3 } },
  mauve: { garment: { purple: 0.6, pink: 0.4 } },
  plum: { garment: one('purple') },
  orange: { garment: one('orange'), hair: { red: 0.8, blonde: 0.2 } },
  amber: { garment: { orange: 0.7, yellow: 0.3 } },
  rust: { garment: { orange: 0.5, brown: 0.3, red: 0.2 } },
  // Hair-only words: on their own they describe hair; on a garment they are read as the nearest colour.
  blonde: { garment: one('yellow'), hair: one('blonde'), hairOnly: true },
  blond: { garment: one('yellow'), hair: one('blonde'), hairOnly: true },
  fair: { garment: { white: 0.6, yellow: 0.4 }, hair: one('blonde'), hairOnly: true },
  'dirty blonde': { garment: { yellow: 0.6, brown: 0.4 }, hair: { blonde: 0.7, brown: 0.3 }, hairOnly: true },
  brunette: { garment: one('brown'), hair: one('brown'), hairOnly: true },
  ginger: { garment: one('orange'), hair: one('red'), hairOnly: true },
  auburn: { garment: { red: 0.6, brown: 0.4 }, hair: { red: 0.7, brown: 0.3 }, hairOnly: true },
  redhead: { garment: one('red'), hair: one('red'), hairOnly: true },
  'salt and pepper': { garment: { grey: 0.6, black: 0.4 }, hair: one('grey'), hairOnly: true },
};

/** Colour words that may carry an "-ish" suffix ("reddish", "bluish"), by their stem. */
export const ISH_STEMS: Record<string, string> = {
  redd: 'red', blu: 'blue', blue: 'blue', green: 'green', grey: 'grey', gray: 'grey', yellow: 'yellow', brown: 'brown',
  pink: 'pink', purpl: 'purple', orang: 'orange', whit: 'white', black: 'black',
};

/** A dark or light shade said on its own ("dark trousers", "dark hair"). */
export const SHADE_ALONE: Record<'dark' | 'light' | 'bright', { garment: Dist; hair: Dist }> = {
  dark: { garment: { black: 0.6, grey: 0.2, blue: 0.2 }, hair: { black: 0.7, brown: 0.3 } },
  light: { garment: { white: 0.5, grey: 0.3, yellow: 0.2 }, hair: { blonde: 0.8, grey: 0.2 } },
  bright: { garment: { red: 1, yellow: 1, orange: 1, pink: 1, green: 1 }, hair: { blonde: 0.7, red: 0.3 } },
};

/** Hair colours a shade word shifts a named hair colour towards ("light brown" → partly blonde). */
export const SHADE_HAIR_SHIFT: Record<'dark' | 'light' | 'bright', Dist> = { dark: { black: 0.3 }, light: { blonde: 0.4 }, bright: {} };

/** Garment colours a shade word mixes into a named garment colour ("dark green" → a little black). */
export const SHADE_GARMENT_SHIFT: Record<'dark' | 'light' | 'bright', Dist> = { dark: { black: 0.15 }, light: { white: 0.15 }, bright: {} };

const noun = (n: Noun): Word => ({ t: 'noun', noun: n });
const upper = (type?: Dist): Word => noun({ kind: 'upper', type });
const lower = (type?: Dist, extra: Partial<Extract<Noun, { kind: 'lower' }>> = {}): Word => noun({ kind: 'lower', type, ...extra });
const bag = (type: Dist): Word => noun({ kind: 'bag', type });
const person = (gender?: 'man' | 'woman', age?: Dist): Word => noun({ kind: 'person', gender, ...(age ? { age } : {}) });
const shoes = (type?: Dist): Word => noun({ kind: 'shoes', ...(type ? { type } : {}) });
const hat = (type?: Dist): Word => noun({ kind: 'hat', ...(type ? { type } : {}) });
const fact = (...facts: Array<[string, Dist]>): Word => ({ t: 'fact', facts: facts.map(([slot, dist]) => ({ slot, dist })) });
const CHILD: Dist = { child: 1 };
const ELDERLY: Dist = { elderly: 1 };
const YOUNG: Dist = { child: 0.3, adult: 0.7 };
const many = (words: string[], w: Word): Array<[string, Word]> => words.map((x) => [x, w]);

const TROUSERS = one('trousers');

/** Every phrase the parser knows (one to four words, lower case, hyphens read as spaces). */
export const LEXICON: ReadonlyMap<string, Word> = new Map<string, Word>([
  ...Object.entries(COLOUR_WORDS).map(([w, c]): [string, Word] => [w, { t: 'colour', ...c }]),
  ...many(['dark', 'deep'], { t: 'shade', which: 'dark' }),
  ...many(['light', 'pale', 'pastel'], { t: 'shade', which: 'light' }),
  ...many(['bright', 'colourful', 'colorful', 'vivid'], { t: 'shade', which: 'bright' }),
  ...many(['short', 'cropped'], { t: 'length', value: 'short' }),
  ...many(['long', 'shoulder length'], { t: 'length', value: 'long' }),

  // Upper body.
  ...many(['jacket', 'blazer', 'windbreaker', 'anorak', 'bomber', 'fleece', 'bomber jacket', 'leather jacket'], upper(one('jacket'))),
  ...many(['vest', 'gilet', 'waistcoat', 'body warmer', 'bodywarmer', 'puffer vest', 'hi vis vest', 'high vis vest', 'safety vest'], upper(one('vest'))),
  ...many(['coat', 'overcoat', 'parka', 'raincoat', 'trench coat', 'trenchcoat', 'long coat', 'peacoat'], upper(one('coat'))),
  ...many(['hoodie', 'hoody', 'hood', 'hooded top', 'hooded jacket', 'hooded sweatshirt', 'hooded sweater'], upper(one('hoodie'))),
  ...many(['t shirt', 'tshirt', 'tee', 'tee shirt', 'polo', 'polo shirt'], upper(one('t-shirt'))),
  ...many(['tank top', 'vest top', 'singlet'], upper(one('t-shirt'))),
  // A "shirt" in a casual description is often a T-shirt.
  ...many(['shirt', 'blouse', 'button up shirt', 'dress shirt', 'flannel shirt'], upper({ shirt: 0.7, 't-shirt': 0.3 })),
  ...many(['sweater', 'jumper', 'pullover', 'cardigan', 'knit', 'knitwear', 'turtleneck'], upper({ sweater: 0.8, hoodie: 0.1, jacket: 0.1 })),
  ...many(['sweatshirt'], upper({ sweater: 0.5, hoodie: 0.5 })),
  ...many(['top', 'upper body', 'upper garment', 'upper clothing', 'upper body clothing', 'top half'], upper(UPPER_ANY)),
  ...many(['short sleeves', 'short sleeved', 'short sleeve', 'sleeveless'], fact(['sleeveLength', one('short')], ['upperType', { 't-shirt': 0.8, shirt: 0.2 }])),
  ...many(['long sleeves', 'long sleeved', 'long sleeve'], fact(['sleeveLength', one('long')], ['upperType', { shirt: 1, sweater: 1, jacket: 1, coat: 1, hoodie: 1 }])),
  ...many(['sleeves', 'sleeve'], { t: 'filler' }),

  // Patterns.
  ...many(['striped', 'stripes', 'stripy', 'stripey', 'pinstriped', 'pinstripe', 'stripe', 'with stripes', 'horizontal stripes', 'vertical stripes'], { t: 'pattern', value: 'stripes' }),
  ...many(['plaid', 'checked', 'checkered', 'chequered', 'tartan', 'gingham', 'check', 'checks'], { t: 'pattern', value: 'plaid' }),
  ...many(['logo', 'logos', 'graphic', 'lettering', 'slogan', 'emblem', 'badge'], { t: 'pattern', value: 'logo' }),
  ...many(['printed', 'patterned', 'floral', 'flowery', 'print', 'camouflage', 'camo', 'polka dot', 'polka dots', 'spotted', 'dotted'], { t: 'pattern', value: 'print' }),
  ...many(['plain', 'solid', 'solid coloured', 'solid colored', 'single coloured', 'single colored'], { t: 'pattern', value: 'plain' }),

  // Lower body.
  ...many(['trousers', 'trouser', 'pants', 'slacks', 'chinos', 'joggers', 'sweatpants', 'leggings', 'tracksuit bottoms', 'cargo pants'], lower(TROUSERS)),
  // Jeans without a colour are most likely blue; only softly (below "sure"), since jeans come in any colour.
  ...many(['jeans', 'denims'], lower(TROUSERS, { defaultColour: { blue: 0.5, black: 0.3, grey: 0.2 } })),
  ...many(['shorts', 'short pants', 'bermudas'], lower(one('shorts'))),
  ...many(['skirt'], lower(one('skirt'))),
  ...many(['dress', 'gown', 'sundress', 'frock'], lower(one('dress'), { alsoUpper: true })),
  ...many(['maxi skirt', 'long skirt'], lower(one('skirt'), { length: 'long' })),
  ...many(['miniskirt', 'mini skirt'], lower(one('skirt'), { length: 'short' })),
  ...many(['bottoms', 'lower body', 'lower garment', 'lower clothing', 'lower body clothing', 'legs', 'bottom half'], lower()),

  ...many(['shoes', 'shoe', 'footwear'], shoes()),
  ...many(['sneakers', 'sneaker', 'trainers', 'trainer', 'runners', 'running shoes', 'sports shoes', 'tennis shoes', 'canvas shoes'], shoes(one('sneakers'))),
  ...many(['boots', 'boot', 'ankle boots', 'work boots', 'wellies', 'wellingtons'], shoes(one('boots'))),
  ...many(['sandals', 'sandal', 'flip flops', 'flip flop', 'slippers', 'slides'], shoes(one('sandals'))),
  ...many(['heels', 'high heels', 'high heeled shoes', 'stilettos', 'pumps'], shoes(one('heels'))),
  ...many(['loafers', 'leather shoes', 'dress shoes', 'formal shoes', 'oxfords', 'brogues', 'flats'], shoes(one('shoes'))),

  // Bags.
  ...many(['bag', 'bags'], bag(BAG_ANY)),
  ...many(['backpack', 'back pack', 'rucksack', 'knapsack', 'schoolbag', 'school bag', 'daypack'], bag(one('backpack'))),
  ...many(['handbag', 'hand bag', 'purse', 'clutch', 'clutch bag'], bag(one('handbag'))),
  ...many(['shoulder bag', 'messenger bag', 'satchel', 'sling bag', 'crossbody bag', 'cross body bag', 'side bag', 'courier bag'], bag(one('shoulder bag'))),
  ...many(['tote', 'tote bag', 'briefcase'], bag({ handbag: 0.5, 'shoulder bag': 0.5 })),
  ...many(['suitcase', 'suit case', 'luggage', 'trolley', 'trolley bag', 'trolley case', 'rolling bag', 'roller bag', 'wheeled bag', 'rolling suitcase', 'wheelie bag', 'carry on'], bag(one('suitcase'))),
  ...many(['on the back', 'on his back', 'on her back', 'on their back', 'on back', 'on the person back'], { t: 'place', where: 'back' }),
  ...many(
    ['over the shoulder', 'on the shoulder', 'over his shoulder', 'over her shoulder', 'on his shoulder', 'on her shoulder', 'over one shoulder', 'on one shoulder', 'across the body', 'across her body', 'across his body', 'over their shoulder', 'on their shoulder'],
    { t: 'place', where: 'shoulder' },
  ),
  ...many(['in hand', 'in the hand', 'in his hand', 'in her hand', 'in their hand', 'in one hand', 'by hand', 'by the handle'], { t: 'place', where: 'hand' }),

  // Accessories and held objects.
  ...many(['hat', 'headwear', 'beret', 'headgear'], hat()),
  ...many(['cap', 'baseball cap', 'peaked cap', 'snapback', 'flat cap', 'trucker cap'], hat(one('cap'))),
  ...many(['beanie', 'bobble hat', 'woolly hat', 'wooly hat', 'knit hat', 'knitted hat', 'winter hat', 'toque', 'woollen hat'], hat(one('beanie'))),
  ...many(['fedora', 'sun hat', 'sunhat', 'bucket hat', 'straw hat', 'cowboy hat', 'brimmed hat', 'panama hat', 'trilby'], hat(one('brimmed hat'))),
  ...many(['helmet', 'hard hat', 'bike helmet', 'bicycle helmet', 'motorcycle helmet', 'hardhat'], hat(one('helmet'))),
  ...many(['mask', 'face mask', 'surgical mask', 'medical mask', 'balaclava', 'face covering', 'respirator'], noun({ kind: 'worn', slot: 'mask' })),
  ...many(['scarf', 'scarves', 'shawl', 'muffler', 'neck scarf'], noun({ kind: 'worn', slot: 'scarf' })),
  ...many(['glasses', 'spectacles', 'sunglasses', 'sun glasses', 'eyeglasses', 'shades', 'specs', 'eyewear'], noun({ kind: 'glasses' })),
  ...many(['umbrella', 'brolly', 'parasol'], noun({ kind: 'held', value: 'umbrella' })),
  ...many(['phone', 'mobile', 'mobile phone', 'cellphone', 'cell phone', 'smartphone', 'smart phone'], noun({ kind: 'held', value: 'phone' })),
  ...many(['bottle', 'water bottle', 'drink', 'flask'], noun({ kind: 'held', value: 'bottle' })),
  ...many(['cup', 'mug', 'coffee cup', 'paper cup', 'takeaway cup', 'tumbler'], noun({ kind: 'held', value: 'cup' })),
  ...many(['box', 'package', 'parcel', 'carton', 'cardboard box'], noun({ kind: 'held', value: 'box' })),
  ...many(['something in hand', 'something in his hand', 'something in her hand', 'an object', 'object', 'objects', 'item'], noun({ kind: 'held', value: 'any' })),
  ...many(['empty handed', 'empty hand', 'hand empty', 'hand free', 'free hand', 'nothing in hand', 'nothing in his hand', 'nothing in her hand', 'nothing in their hand', 'nothing in the hand'], {
    t: 'fact',
    facts: [{ slot: 'held', dist: one('none') }],
  }),
  ...many(['anything', 'something'], noun({ kind: 'anything' })),
  ['nothing', noun({ kind: 'anything', negative: true })],
  ...many(['clothes', 'clothing', 'outfit', 'attire'], noun({ kind: 'clothes' })),

  // Hair.
  ...many(['hair', 'haired', 'hairstyle', 'haircut', 'hairdo'], noun({ kind: 'hair' })),
  ...many(['ponytail', 'pony tail', 'bun', 'braid', 'braids', 'plait', 'plaits', 'pigtails'], noun({ kind: 'hair', length: 'long' })),
  ...many(['buzz cut', 'crew cut', 'shaved head', 'bald', 'crewcut'], noun({ kind: 'hair', length: 'short' })),

  // People.
  ...many(['man', 'men', 'guy', 'guys', 'male', 'gentleman', 'gent', 'dude', 'bloke', 'fellow', 'chap', 'he', 'him', 'his', 'himself', 'mr', 'sir'], person('man')),
  ...many(['woman', 'women', 'lady', 'ladies', 'female', 'gal', 'she', 'her', 'hers', 'herself', 'miss', 'mrs', 'ms', 'madam'], person('woman')),
  ...many(['person', 'someone', 'somebody', 'individual', 'pedestrian', 'people', 'they', 'them', 'figure', 'suspect'], person()),
  // Age groups (PA-100K: under 18, 18–60, over 60).
  ...many(['boy', 'lad', 'schoolboy', 'young boy', 'little boy'], person('man', CHILD)),
  ...many(['girl', 'schoolgirl', 'young girl', 'little girl'], person('woman', CHILD)),
  ...many(['child', 'children', 'kid', 'kids', 'teenager', 'teen', 'teens', 'youngster', 'toddler', 'minor', 'adolescent'], person(undefined, CHILD)),
  ...many(['young man', 'young guy', 'young male'], person('man', YOUNG)),
  ...many(['young woman', 'young lady', 'young female'], person('woman', YOUNG)),
  ...many(['old man', 'elderly man', 'older man', 'old guy', 'grandfather', 'grandpa', 'old gentleman'], person('man', ELDERLY)),
  ...many(['old woman', 'elderly woman', 'older woman', 'old lady', 'elderly lady', 'grandmother', 'grandma', 'granny'], person('woman', ELDERLY)),
  ...many(['elderly', 'senior', 'pensioner', 'old person', 'elderly person', 'older person', 'senior citizen', 'aged'], person(undefined, ELDERLY)),
  ...many(['adult', 'middle aged', 'grown up', 'grown man', 'grown woman'], fact(['ageGroup', one('adult')])),

  // Structure words.
  ...many(['no', 'not', 'without', 'never', 'neither', 'none', 'lacks', 'lacking'], { t: 'neg' }),
  ...many(
    ['not sure', 'unsure', 'not know', 'no idea', 'not remember', 'not recall', 'not tell', 'not certain', 'not see', 'unknown', 'unclear', 'hard to say', 'not notice', 'not clear'],
    { t: 'uncertain' },
  ),
  ...many(['maybe', 'perhaps', 'probably', 'possibly', 'might', 'likely', 'i think', 'kind of', 'sort of', 'ish', 'somewhat', 'seemed', 'seems'], { t: 'hedge' }),
  ...many(['is', 'are', 'was', 'were', 'that is', 'which is', 'that are', 'which are', 'that was', 'which was', 'coloured', 'colored', 'looks', 'looked'], { t: 'copula' }),
  ['in', { t: 'in' }],
  ...many(['wearing', 'wears', 'wore', 'wear', 'dressed', 'has on', 'sporting', 'donning', 'clad', 'had on'], { t: 'verb', verb: 'wear' }),
  ...many(['carrying', 'carries', 'carry', 'carried', 'has got', 'toting', 'bringing'], { t: 'verb', verb: 'carry' }),
  ...many(['holding', 'holds', 'hold', 'held', 'gripping', 'clutching', 'using', 'talking on', 'looking at'], { t: 'verb', verb: 'hold' }),
  ...many(['with', 'has', 'have', 'had', 'having'], { t: 'with' }),
  ...many(['all', 'head to toe', 'all over', 'entirely', 'fully'], { t: 'all' }),
  ...many(['nothing else', 'anything else', 'no one', 'not only', 'no doubt', 'for sure'], { t: 'filler' }),
  ...many(['and', 'plus', 'also', 'as well as', 'along with'], { t: 'and' }),
  ...many(['or', 'nor'], { t: 'or' }),
  ...many(['but', 'however', 'though', 'although', 'whereas', 'while'], { t: 'but' }),
]);

/** Longest phrase in the lexicon, in words. */
export const MAX_PHRASE_WORDS = 5;
