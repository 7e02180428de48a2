//! The integration's ECS categorization lookup: eventName → (event.category, event.type).
//! The lookup is on eventName alone; eventSource is ignored, as in the pipeline.

use crate::categorization_table::CATEGORIZATION;

type Categories = (&'static [&'static str], &'static [&'static str]);

pub fn categorize(event_name: &str) -> Option<Categories> {
    CATEGORIZATION.binary_search_by(|(name, _, _)| (*name).cmp(event_name)).ok().map(|i| {
        let (_, c, t) = CATEGORIZATION[i];
        (c, t)
    })
}
