/**
 * Words, stop words and language of text, shared by the text transforms and the text profile.
 *
 * - Words are runs of letters, marks and digits, with inner apostrophes kept (`don't`).
 * - The language is franc's guess among the languages that have a stop word list here (franc
 *   alone often answers Scots for short English text); `und` when the text is too short to say.
 * - Stop word lists are the common function words of each language (articles, pronouns,
 *   prepositions, conjunctions, auxiliaries), lower-case, written here.
 */
import { franc } from 'franc';

const WORD = /[\p{L}\p{M}\p{N}]+(?:['’][\p{L}\p{M}\p{N}]+)*/gu;

export function wordTokens(text: string | null): string[] {
  if (text === null || text.length === 0) return [];
  return text.match(WORD) ?? [];
}

const words = (list: string): readonly string[] => list.split(/\s+/).filter((w) => w.length > 0);

/** Stop words by ISO 639-3 code (franc's codes). */
export const STOP_WORDS: Readonly<Record<string, readonly string[]>> = {
  eng: words(`a about above after again against all am an and any are aren't as at be because been
    before being below between both but by can can't cannot could couldn't did didn't do does doesn't
    doing don't down during each few for from further had hadn't has hasn't have haven't having he he'd
    he'll he's her here here's hers herself him himself his how how's i i'd i'll i'm i've if in into is
    isn't it it's its itself let's me more most mustn't my myself no nor not of off on once only or other
    ought our ours ourselves out over own same shan't she she'd she'll she's should shouldn't so some such
    than that that's the their theirs them themselves then there there's these they they'd they'll
    they're they've this those through to too under until up very was wasn't we we'd we'll we're we've
    were weren't what what's when when's where where's which while who who's whom why why's with won't
    would wouldn't you you'd you'll you're you've your yours yourself yourselves also just will`),
  fra: words(`au aux avec ce ces dans de des du elle en et eux il ils je la le les leur lui ma mais me
    même mes moi mon ne nos notre nous on ou par pas pour qu que qui sa se ses son sur ta te tes toi ton
    tu un une vos votre vous c d j l à m n s t y été étée étées étés étant suis es est sommes êtes sont
    serai sera serons seront serais serait étais était étions étiez étaient fus fut ai as avons avez ont
    aurai aura avais avait avions aviez avaient eu cette cet ceci cela ça plus très aussi comme si sans
    sous entre vers chez donc car ni`),
  deu: words(`aber alle allem allen aller alles als also am an ander andere anderem anderen anderer
    anderes auch auf aus bei bin bis bist da damit dann das dass dasselbe dazu dein deine deinem deinen
    deiner dem den denn der des desselben dich die dies diese diesem diesen dieser dieses dir doch dort
    du durch ein eine einem einen einer eines er es etwas euch euer eure für gegen gewesen hab habe haben
    hat hatte hatten hier hin hinter ich ihm ihn ihnen ihr ihre ihrem ihren ihrer im in indem ins ist
    jede jedem jeden jeder jedes jetzt kann kein keine können man manche mein meine mich mir mit muss
    nach nicht nichts noch nun nur ob oder ohne sehr sein seine sich sie sind so solche soll sondern um
    und uns unser unter viel vom von vor war waren warst was weg weil weiter welche wenn wer werde werden
    wie wieder will wir wird wo wollen würde zu zum zur zwar zwischen`),
  spa: words(`a al algo algunas algunos ante antes como con contra cual cuando de del desde donde durante
    e el él ella ellas ellos en entre era erais eran eras eres es esa esas ese eso esos esta estaba estado
    estamos estar estas este esto estos estoy fue fueron fui ha habéis había han has hasta hay la las le
    les lo los más me mi mis mucho muchos muy nada ni no nos nosotros o os otra otros para pero poco por
    porque que quien quienes qué se sea ser si sí siempre sin sobre somos son soy su sus también tanto te
    tenemos tener tengo ti tiene tienen todo todos tu tus un una uno unos vosotros y ya yo`),
  ita: words(`a ad al alla alle allo agli ai anche avere aveva c che chi ci come con contro da dal dalla
    dalle dei del della delle dello degli di dove e è ed era erano essere gli ha hanno ho i il in io la
    le lei li lo loro lui ma mi mia mie miei mio ne negli nei nel nella nelle nello noi non nostra nostro
    o per perché più quale quando quella quelle quelli quello questa queste questi questo se sei si sia
    siamo sono su sua sue sui sul sulla suo suoi ti tra tu tua tuo un una uno vi voi`),
  por: words(`a ao aos as até com como da das de dela dele deles do dos e é ela elas ele eles em entre era
    eram essa essas esse esses esta estas este estes eu foi foram há isso isto já lhe lhes mais mas me
    mesmo meu meus minha minhas muito na nas não nem no nos nós nossa nosso num numa o os ou para pela
    pelas pelo pelos por quando que quem se sem ser seu seus só sua suas também te tem têm teu tu tua um
    uma umas uns você vocês vos`),
  nld: words(`aan al alles als altijd andere ben bij daar dan dat de der deze die dit doch doen door dus
    een eens en er ge geen geweest haar had heb hebben heeft hem het hier hij hoe hun iemand iets ik in
    is ja je kan kon kunnen maar me meer men met mij mijn moet na naar niet niets nog nu of om omdat
    onder ons ook op over reeds te tegen toch toen tot u uit uw van veel voor want waren was wat werd
    wezen wie wil worden wordt zal ze zelf zich zij zijn zo zonder zou`),
};

export const STOP_WORD_LANGUAGES: readonly string[] = Object.keys(STOP_WORDS);

/** Language names for people, by code. */
export const LANGUAGE_NAMES: Readonly<Record<string, string>> = {
  eng: 'English',
  fra: 'French',
  deu: 'German',
  spa: 'Spanish',
  ita: 'Italian',
  por: 'Portuguese',
  nld: 'Dutch',
  und: 'undetermined',
};

/** At most this many characters of the documents are given to the detector. */
const DETECT_CHARACTERS = 20_000;

/** franc's guess over (the start of) the documents joined, among the languages above, or `und`. */
export function detectLanguage(documents: readonly (string | null)[]): string {
  let sample = '';
  for (const doc of documents) {
    if (!doc) continue;
    sample += `${doc}\n`;
    if (sample.length >= DETECT_CHARACTERS) break;
  }
  return franc(sample.slice(0, DETECT_CHARACTERS), { only: [...STOP_WORD_LANGUAGES], minLength: 10 });
}
