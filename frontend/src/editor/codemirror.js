// The code editor: CodeMirror 6 with Python, replacing the page's <textarea id="code">.
// The text area stays in the form (hidden) and is filled on submit, so the form still posts
// `code` and the page works as a plain text area if this bundle never loads.
import { basicSetup } from "codemirror";
import { indentWithTab } from "@codemirror/commands";
import { python } from "@codemirror/lang-python";
import { indentUnit, syntaxHighlighting } from "@codemirror/language";
import { classHighlighter } from "@lezer/highlight";
import { Compartment, EditorState, Prec, StateEffect, StateField } from "@codemirror/state";
import { Decoration, EditorView, keymap } from "@codemirror/view";

// A line a grader message names ("SyntaxError at line 3"), marked until the code changes.
const markLine = StateEffect.define();
const lineMarkDecoration = Decoration.line({ class: "cm-named-line", attributes: { "data-named-line": "true" } });

const namedLine = StateField.define({
  create: () => Decoration.none,
  update(marks, transaction) {
    if (transaction.docChanged) marks = Decoration.none;
    for (const effect of transaction.effects) {
      if (!effect.is(markLine)) continue;
      const line = effect.value;
      if (line === null || line < 1 || line > transaction.state.doc.lines) marks = Decoration.none;
      else marks = Decoration.set([lineMarkDecoration.range(transaction.state.doc.line(line).from)]);
    }
    return marks;
  },
  provide: (field) => EditorView.decorations.from(field),
});

/**
 * Replace `textarea` by a CodeMirror editor; returns the small API the pages and browser tests
 * use as `window.tracedojoEditor`.
 */
export function createEditor(textarea, { onSubmit, describedBy } = {}) {
  const label = textarea.getAttribute("aria-label") || "Code";
  const submitKeys = onSubmit
    ? [
        { key: "Mod-Enter", run: () => (onSubmit(), true) },
      ]
    : [];
  const readOnly = new Compartment();
  const contentAttributes = { "aria-label": label, "aria-multiline": "true" };
  if (describedBy) contentAttributes["aria-describedby"] = describedBy;
  const view = new EditorView({
    state: EditorState.create({
      doc: textarea.value,
      extensions: [
        basicSetup,
        python(),
        // Stable `tok-*` class names beside the default colours, for the page's own CSS and tests.
        syntaxHighlighting(classHighlighter),
        indentUnit.of("    "),
        EditorState.tabSize.of(4),
        // Tab indents; Escape then Tab moves on (CodeMirror's own tab-focus escape), so a
        // keyboard user is never trapped.
        // Above basicSetup's own Mod-Enter (insert a blank line), or Ctrl+Enter would never submit.
        Prec.highest(keymap.of(submitKeys)),
        keymap.of([indentWithTab]),
        namedLine,
        readOnly.of([]),
        EditorView.contentAttributes.of(contentAttributes),
        EditorView.lineWrapping,
      ],
    }),
  });
  textarea.insertAdjacentElement("afterend", view.dom);
  textarea.hidden = true;
  textarea.form?.addEventListener("submit", () => {
    textarea.value = view.state.doc.toString();
  });
  const sync = () => {
    textarea.value = view.state.doc.toString();
  };
  return {
    view,
    getValue: () => view.state.doc.toString(),
    setValue(text) {
      view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text } });
      sync();
    },
    focus: () => view.focus(),
    sync,
    /** Mark (and scroll to) the line a message names; `null` clears the mark. */
    markLine(line) {
      const valid = line !== null && line >= 1 && line <= view.state.doc.lines;
      const effects = [markLine.of(valid ? line : null)];
      if (valid) effects.push(EditorView.scrollIntoView(view.state.doc.line(line).from, { y: "center" }));
      view.dispatch({ effects });
      return valid;
    },
    setReadOnly(on) {
      view.dispatch({ effects: readOnly.reconfigure(on ? EditorState.readOnly.of(true) : []) });
    },
  };
}
