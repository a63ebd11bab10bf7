// Category words clients act on. Guides use free text in many languages ("Spielfilm",
// "Nachrichten", "Sport / Fußball"); Jellyfin and Emby only classify a programme when a category
// equals one of their words (movie, news, sports, kids), and Plex wants "Series"/"Movie".
// So the original categories are kept and the canonical English word is added when recognised.
import { detach } from './strings.js';
import type { LangText } from './types.js';

export type GuideClass = 'Movie' | 'Series' | 'News' | 'Sports' | 'Kids';

const KEYWORDS: Readonly<Record<GuideClass, readonly string[]>> = {
  Movie: [
    'movie',
    'movies',
    'film',
    'films',
    'feature film',
    'tv movie',
    'spielfilm',
    'kinofilm',
    'fernsehfilm',
    'cinema',
    'cinéma',
    'cine',
    'película',
    'pelicula',
    'peliculas',
    'películas',
    'filme',
    'filmes',
    'elokuva',
    'speelfilm',
    'filmy',
    'кино',
    'фильм',
    'художественный фильм',
  ],
  Series: [
    'series',
    'serie',
    'serien',
    'séries',
    'série',
    'sitcom',
    'soap',
    'soap opera',
    'telenovela',
    'drama series',
    'tv series',
    'tv show',
    'reeks',
    'сериал',
  ],
  News: [
    'news',
    'newscast',
    'journalism',
    'current affairs',
    'nachrichten',
    'news magazine',
    'noticias',
    'notícias',
    'noticiero',
    'informativo',
    'informativos',
    'actualités',
    'actualites',
    'journal',
    'telegiornale',
    'nieuws',
    'новости',
  ],
  Sports: [
    'sport',
    'sports',
    'sports event',
    'sports talk',
    'football',
    'soccer',
    'fußball',
    'fussball',
    'basketball',
    'baseball',
    'tennis',
    'golf',
    'hockey',
    'ice hockey',
    'cricket',
    'rugby',
    'motorsport',
    'formula 1',
    'boxing',
    'wrestling',
    'deportes',
    'deporte',
    'esporte',
    'esportes',
    'calcio',
    'спорт',
    'futebol',
    'fútbol',
  ],
  Kids: [
    'kids',
    'children',
    'childrens',
    "children's",
    'family',
    'animation',
    'animated',
    'cartoon',
    'cartoons',
    'kinder',
    'kindersendung',
    'zeichentrick',
    'infantil',
    'infantiles',
    'enfants',
    'jeunesse',
    'jeugd',
    'disney',
    'детям',
    'мультфильм',
  ],
};

const LOOKUP: ReadonlyMap<string, GuideClass> = (() => {
  const m = new Map<string, GuideClass>();
  for (const [cls, words] of Object.entries(KEYWORDS) as [GuideClass, readonly string[]][]) {
    for (const w of words) m.set(w, cls);
  }
  return m;
})();

// Guides repeat a few dozen category strings millions of times.
const memo = new Map<string, GuideClass[]>();

/** Canonical classes recognised in one free-text category ("Sport / Fußball" → Sports). */
export function classOf(category: string): GuideClass[] {
  let hit = memo.get(category);
  if (!hit) {
    hit = classify(category);
    if (memo.size >= 10_000) memo.clear();
    // A copy: `category` is usually a slice of a whole decoded chunk, which the key would keep.
    memo.set(detach(category), hit);
  }
  return hit;
}

function classify(category: string): GuideClass[] {
  const s = category.normalize('NFC').toLowerCase().trim();
  const out = new Set<GuideClass>();
  const whole = LOOKUP.get(s);
  if (whole) out.add(whole);
  for (const part of s.split(/\s*[/,;|&]\s*|\s+-\s+/)) {
    const hit = LOOKUP.get(part.trim());
    if (hit) out.add(hit);
  }
  if (!out.size) {
    for (const word of s.split(/[^\p{L}\p{N}']+/u)) {
      const hit = LOOKUP.get(word);
      if (hit) out.add(hit);
    }
  }
  return [...out];
}

/**
 * The categories to write: the originals (deduplicated) then the canonical words recognised in
 * them, plus "Series" for numbered episodes that are not movies (Plex: no episode data = movie).
 * A movie is never also a series (Jellyfin lets Movie override the episode fields anyway).
 */
const ORDER: readonly GuideClass[] = ['Movie', 'Series', 'News', 'Sports', 'Kids'];
const CANONICAL: Readonly<Record<GuideClass, LangText>> = {
  Movie: { text: 'Movie', lang: 'en' },
  Series: { text: 'Series', lang: 'en' },
  News: { text: 'News', lang: 'en' },
  Sports: { text: 'Sports', lang: 'en' },
  Kids: { text: 'Kids', lang: 'en' },
};

export function outputCategories(
  categories: readonly LangText[] | undefined,
  opts: { hasEpisode: boolean; isMovie?: boolean },
): LangText[] {
  // Called for every programme: small arrays and a bit set instead of Sets.
  const out: LangText[] = [];
  const seen: string[] = [];
  let classes = 0;
  for (const c of categories ?? []) {
    const key = c.text.toLowerCase();
    if (seen.includes(key)) continue;
    seen.push(key);
    out.push(c);
    for (const cls of classOf(c.text)) classes |= 1 << ORDER.indexOf(cls);
  }
  if (opts.isMovie) classes |= 1;
  if (classes & 1) classes &= ~2;
  else if (opts.hasEpisode) classes |= 2;
  for (let i = 0; i < ORDER.length; i++) {
    const cls = ORDER[i] as GuideClass;
    if (classes & (1 << i) && !seen.includes(cls.toLowerCase())) out.push(CANONICAL[cls]);
  }
  return out;
}
