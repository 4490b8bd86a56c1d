-- The search box's indexes: the words of the text each searchable kind is found by
-- (contacts' and companies' `search`: name, emails, company or domains; deals' title) —
-- lower-cased, accents taken off, punctuation a space — as `tsvector`s in GIN indexes.
-- Searches name the same expression (`closer_store_sql::search_store::pg_words`; a test
-- compares them), so the planner uses these indexes.
create index contacts_search_words on contacts using gin (
    to_tsvector('simple', regexp_replace(translate(lower(search), 'áàâäãåāéèêëēíìîïīóòôöõōúùûüūñçćčšśžźżýÿ', 'aaaaaaaeeeeeiiiiioooooouuuuuncccsszzzyy'), '[[:punct:]]+', ' ', 'g'))
);
create index companies_search_words on companies using gin (
    to_tsvector('simple', regexp_replace(translate(lower(search), 'áàâäãåāéèêëēíìîïīóòôöõōúùûüūñçćčšśžźżýÿ', 'aaaaaaaeeeeeiiiiioooooouuuuuncccsszzzyy'), '[[:punct:]]+', ' ', 'g'))
);
create index deals_title_words on deals using gin (
    to_tsvector('simple', regexp_replace(translate(lower(title), 'áàâäãåāéèêëēíìîïīóòôöõōúùûüūñçćčšśžźżýÿ', 'aaaaaaaeeeeeiiiiioooooouuuuuncccsszzzyy'), '[[:punct:]]+', ' ', 'g'))
);
