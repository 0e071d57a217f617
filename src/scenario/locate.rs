//! Finding a key path such as `population.segment[0].session.p90` in the
//! scenario text, for messages about values that serde deserializes as a
//! whole (the keys inside a distribution table).
//!
//! The text is parsed again with `toml_edit`, which keeps the byte span of
//! every key and value. This runs only when an error is reported.

use std::ops::Range;

use toml_edit::{ImDocument, Item, Table, Value};

/// Byte spans of a key and of its value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Located {
    /// The key as written, e.g. `p90`.
    pub key: Range<usize>,
    /// The value, e.g. `"12m"`.
    pub value: Range<usize>,
}

enum Node<'a> {
    Item(&'a Item),
    Table(&'a Table),
    Value(&'a Value),
}

enum Segment<'a> {
    Key(&'a str),
    Index(usize),
}

/// Splits `a.b[2].c` into keys and indexes; `None` for a malformed path.
fn segments(path: &str) -> Option<Vec<Segment<'_>>> {
    let mut out = Vec::new();
    for part in path.split('.') {
        let (name, mut rest) = match part.find('[') {
            Some(bracket) => part.split_at(bracket),
            None => (part, ""),
        };
        if name.is_empty() {
            return None;
        }
        out.push(Segment::Key(name));
        while let Some(inner) = rest.strip_prefix('[') {
            let (index, after) = inner.split_once(']')?;
            out.push(Segment::Index(index.parse().ok()?));
            rest = after;
        }
        if !rest.is_empty() {
            return None;
        }
    }
    Some(out)
}

fn child<'a>(node: &Node<'a>, key: &str) -> Option<(Option<Range<usize>>, Node<'a>)> {
    let (found_key, item) = match *node {
        Node::Item(Item::Table(table)) | Node::Table(table) => table.get_key_value(key)?,
        Node::Item(Item::Value(Value::InlineTable(table)))
        | Node::Value(Value::InlineTable(table)) => table.get_key_value(key)?,
        _ => return None,
    };
    Some((found_key.span(), Node::Item(item)))
}

fn element<'a>(node: &Node<'a>, index: usize) -> Option<Node<'a>> {
    match *node {
        Node::Item(Item::ArrayOfTables(tables)) => tables.get(index).map(Node::Table),
        Node::Item(Item::Value(Value::Array(array))) | Node::Value(Value::Array(array)) => {
            array.get(index).map(Node::Value)
        }
        _ => None,
    }
}

fn span_of(node: &Node<'_>) -> Option<Range<usize>> {
    match node {
        Node::Item(item) => item.span(),
        Node::Table(table) => table.span(),
        Node::Value(value) => value.span(),
    }
}

/// Finds the spans of the key and value at `path` in `text`.
///
/// Returns `None` when the text does not parse, the path is malformed, or
/// the key is absent.
pub(crate) fn locate(text: &str, path: &str) -> Option<Located> {
    let document = ImDocument::parse(text).ok()?;
    let mut node = Node::Item(document.as_item());
    let mut key_span = None;
    for segment in segments(path)? {
        match segment {
            Segment::Key(key) => {
                let (span, next) = child(&node, key)?;
                key_span = span;
                node = next;
            }
            Segment::Index(index) => node = element(&node, index)?,
        }
    }
    let key = key_span?;
    let value = span_of(&node).unwrap_or_else(|| key.clone());
    Some(Located { key, value })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn located_text<'a>(text: &'a str, path: &str) -> (&'a str, &'a str) {
        let found = locate(text, path).expect("path is present");
        (&text[found.key], &text[found.value])
    }

    #[test]
    fn inline_table_in_array_of_tables() {
        let text = "[[population.segment]]\nname = \"a\"\nsession = { dist = \"lognormal\", median = \"3m\", p9 = \"12m\" }\n";
        assert_eq!(
            located_text(text, "population.segment[0].session.p9"),
            ("p9", "\"12m\"")
        );
    }

    #[test]
    fn sub_table_and_dotted_keys() {
        let text = "[client.keep_alive]\ndist = \"uniform\"\nmin = \"1m\"\n\n[[population.segment]]\nname = \"a\"\n\n[[population.segment]]\nname = \"b\"\nsession.dist = \"fixed\"\n";
        assert_eq!(
            located_text(text, "client.keep_alive.min"),
            ("min", "\"1m\"")
        );
        assert_eq!(
            located_text(text, "population.segment[1].session.dist"),
            ("dist", "\"fixed\"")
        );
    }

    #[test]
    fn inline_array_element() {
        let text =
            "[[release]]\nrollout = [{ at = \"0h\", percent = 10 }, { at = \"1h\", percnt = 5 }]\n";
        assert_eq!(
            located_text(text, "release[0].rollout[1].percnt"),
            ("percnt", "5")
        );
    }

    #[test]
    fn absent_or_malformed_path_is_none() {
        let text = "[run]\nseed = 1\n";
        assert_eq!(locate(text, "run.horizon"), None);
        assert_eq!(locate(text, "run.seed[0]"), None);
        assert_eq!(locate(text, "run..seed"), None);
        assert_eq!(locate("[run", "run"), None);
    }
}
