/**
 * The hover content of one finding: `SPKnnn name`, the message, the "why" (first paragraph of the
 * rule's doc) and, for an unsafe fix, a warning. Built with DOM calls and textContent only: finding
 * text never becomes markup.
 */
import { firstParagraph } from '../positions';
import { IFinding, IFix } from '../types';

/** The quick-fix button's label. */
export function fixLabel(fix: IFix): string {
  return fix.safety === 'unsafe' ? `Fix (unsafe): ${fix.description}` : `Fix: ${fix.description}`;
}

/** Split text on `backticks` into plain and code parts (an unpaired backtick stays plain text). */
export function splitInlineCode(text: string): { code: boolean; text: string }[] {
  const parts: { code: boolean; text: string }[] = [];
  const re = /`([^`]+)`/g;
  let last = 0;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    if (m.index > last) {
      parts.push({ code: false, text: text.slice(last, m.index) });
    }
    parts.push({ code: true, text: m[1] });
    last = m.index + m[0].length;
  }
  if (last < text.length) {
    parts.push({ code: false, text: text.slice(last) });
  }
  return parts;
}

function block(doc: Document, className: string, text: string): HTMLElement {
  const el = doc.createElement('div');
  el.className = className;
  for (const part of splitInlineCode(text)) {
    if (part.code) {
      const code = doc.createElement('code');
      code.textContent = part.text;
      el.appendChild(code);
    } else {
      el.appendChild(doc.createTextNode(part.text));
    }
  }
  return el;
}

export function renderFinding(finding: IFinding, doc: Document = document): HTMLElement {
  const root = doc.createElement('div');
  root.className = 'jp-sparkcoach-hover';
  const title = doc.createElement('div');
  title.className = 'jp-sparkcoach-hover-title';
  const code = doc.createElement('span');
  code.className = 'jp-sparkcoach-hover-code';
  code.textContent = finding.code;
  const name = doc.createElement('span');
  name.className = 'jp-sparkcoach-hover-name';
  name.textContent = finding.name;
  title.append(code, doc.createTextNode(' '), name);
  root.appendChild(title);
  root.appendChild(block(doc, 'jp-sparkcoach-hover-message', finding.message));
  const why = firstParagraph(finding.doc ?? '');
  if (why) {
    root.appendChild(block(doc, 'jp-sparkcoach-hover-why', why));
  }
  if (finding.fix?.safety === 'unsafe') {
    root.appendChild(
      block(doc, 'jp-sparkcoach-hover-unsafe', 'The fix is unsafe: it may change what the code does. Review it after applying.')
    );
  }
  return root;
}
