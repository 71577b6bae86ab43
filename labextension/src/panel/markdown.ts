/**
 * Markdown to DOM for the rules' documentation ("learn more").
 *
 * `marked`'s lexer (MIT, bundled into the panel) reads the Markdown; the
 * tokens are then built into elements with the shared `h` helper, so every
 * piece of text reaches the page as a text node. No HTML string is produced or
 * parsed: raw HTML in the Markdown shows as text, and only http(s) and mailto
 * links become links.
 */
import { Lexer, type Token, type Tokens } from 'marked';

import { Children, h } from '../dom';

const ENTITIES: Record<string, string> = {
  '&amp;': '&',
  '&lt;': '<',
  '&gt;': '>',
  '&quot;': '"',
  '&#39;': "'",
  '&nbsp;': '\u00a0'
};

/** The few named entities Markdown text may spell, as characters (for a text node). */
export function decodeEntities(text: string): string {
  return text.replace(/&(amp|lt|gt|quot|#39|nbsp);/g, entity => ENTITIES[entity] ?? entity);
}

/** `href` when it is a web or mail address, else null (no `javascript:`, `data:`, relative paths). */
export function safeHref(href: string | null | undefined): string | null {
  const text = (href || '').trim();
  return /^(https?:\/\/|mailto:)/i.test(text) ? text : null;
}

function inline(tokens: Token[] | undefined): Children[] {
  return (tokens || []).map(token => inlineToken(token));
}

function inlineToken(token: Token): Children {
  switch (token.type) {
    case 'strong':
      return h('strong', {}, inline((token as Tokens.Strong).tokens));
    case 'em':
      return h('em', {}, inline((token as Tokens.Em).tokens));
    case 'del':
      return h('del', {}, inline((token as Tokens.Del).tokens));
    case 'codespan':
      return h('code', {}, (token as Tokens.Codespan).text);
    case 'br':
      return h('br');
    case 'link': {
      const link = token as Tokens.Link;
      const href = safeHref(link.href);
      const children = inline(link.tokens);
      return href
        ? h('a', { href, target: '_blank', rel: 'noopener noreferrer', title: link.title || null }, children)
        : h('span', {}, children);
    }
    case 'image':
      return (token as Tokens.Image).text;
    case 'checkbox':
      return (token as Tokens.Checkbox).checked ? '☑ ' : '☐ ';
    case 'escape':
      return (token as Tokens.Escape).text;
    case 'html':
      return (token as Tokens.HTML).raw; // shown as text, never parsed
    case 'text': {
      const text = token as Tokens.Text;
      return text.tokens && text.tokens.length ? inline(text.tokens) : decodeEntities(text.text);
    }
    default:
      return 'text' in token && typeof token.text === 'string' ? decodeEntities(token.text) : token.raw;
  }
}

function blocks(tokens: Token[]): Children[] {
  return tokens.map(token => block(token));
}

function block(token: Token): Children {
  switch (token.type) {
    case 'space':
    case 'def':
      return null;
    case 'heading': {
      const heading = token as Tokens.Heading;
      // inside a card: `#` is a section title, never larger than the finding's own title
      const level = Math.min(6, Math.max(4, heading.depth + 3));
      return h(`h${level}`, { class: 'gm-md-heading' }, inline(heading.tokens));
    }
    case 'paragraph':
      return h('p', {}, inline((token as Tokens.Paragraph).tokens));
    case 'code': {
      const code = token as Tokens.Code;
      return h('pre', { class: 'gm-md-code' },
        h('code', code.lang ? { 'data-lang': code.lang } : {}, code.text));
    }
    case 'blockquote':
      return h('blockquote', {}, blocks((token as Tokens.Blockquote).tokens));
    case 'list': {
      const list = token as Tokens.List;
      const attrs = list.ordered && typeof list.start === 'number' && list.start !== 1
        ? { start: list.start }
        : {};
      return h(list.ordered ? 'ol' : 'ul', attrs,
        list.items.map(item => h('li', {}, blocks(item.tokens))));
    }
    case 'table': {
      const table = token as Tokens.Table;
      const cell = (tag: string, c: Tokens.TableCell) =>
        h(tag, c.align ? { style: `text-align: ${c.align}` } : {}, inline(c.tokens));
      return h('table', { class: 'gm-md-table' },
        h('thead', {}, h('tr', {}, table.header.map(c => cell('th', c)))),
        h('tbody', {}, table.rows.map(row => h('tr', {}, row.map(c => cell('td', c))))));
    }
    case 'hr':
      return h('hr');
    case 'html':
      return h('pre', { class: 'gm-md-code' }, (token as Tokens.HTML).raw); // as text
    case 'text': {
      const text = token as Tokens.Text;
      return text.tokens && text.tokens.length ? inline(text.tokens) : decodeEntities(text.text);
    }
    default:
      return inlineToken(token);
  }
}

/** The Markdown `source` as a `div.gm-markdown` of elements (headings, paragraphs, code, lists, tables). */
export function renderMarkdown(source: string): HTMLElement {
  let tokens: Token[];
  try {
    tokens = Lexer.lex(source || '', { gfm: true });
  } catch {
    return h('div', { class: 'gm-markdown' }, h('pre', {}, source));
  }
  return h('div', { class: 'gm-markdown' }, blocks(tokens));
}
