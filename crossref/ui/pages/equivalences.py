"""Équivalences: filter the scored pairs, read one pair in full, accept / reject / amend it."""

from typing import Literal

import streamlit as st

from crossref.errors import CrossrefError
from crossref.labels import REVIEW_ACTION_FR, capitalize_first, fr_decimal
from crossref.mdsafe import escape_markdown as md
from crossref.explanations import explanation_of
from crossref.ui import state
from crossref.ui.components import (
    DIRECTION_FR, RELATION_FR, RELATIONS, STATUS_FR, STATUSES, bloc_label, cert_label,
    escape, highlight_html, html_list, status_fr,
)
from crossref.views import (
    PairFilter, criteria_comparable, direction_text, explanation_fr, history_table, whole_clause,
)

MAX_OPTIONS = 500  # pairs offered in the selector (the table shows them all)

st.title("Équivalences")
snap = state.load_or_stop()
results = snap.results
corpus = results.corpus
config = snap.config
state.show_flash()
st.caption(state.matcher_quality(config))

# ---------------------------------------------------------------- filters
# Defaults set once; afterwards the session's choices hold, across pages too (state.keep_choices).
for _key, _default in (("eq_src_certs", corpus.ids), ("eq_tgt_certs", corpus.ids),
                       ("eq_relations", ["equivalent", "partial"]), ("eq_score", (0.0, 1.0)),
                       ("eq_statuses", STATUSES), ("eq_search", ""), ("eq_one_way", True)):
    st.session_state.setdefault(_key, list(_default) if isinstance(_default, list) else _default)
for _key in ("eq_src_certs", "eq_tgt_certs"):  # a certification removed since is dropped
    st.session_state[_key] = [c for c in st.session_state[_key] if c in corpus.ids]
with st.sidebar:
    st.header("Filtres")
    src_certs = st.multiselect("Certification source", corpus.ids, key="eq_src_certs")
    tgt_certs = st.multiselect("Certification cible", corpus.ids, key="eq_tgt_certs")
    bloc_options = [b.id for cert in corpus if cert.id in set(src_certs) | set(tgt_certs) for b in cert.blocs]
    if "eq_blocs" in st.session_state:  # blocs of a certification no longer selected are dropped
        st.session_state["eq_blocs"] = [b for b in st.session_state["eq_blocs"] if b in bloc_options]
    blocs = st.multiselect("Blocs (source ou cible)", bloc_options, key="eq_blocs",
                           placeholder="tous les blocs", format_func=lambda b: bloc_label(corpus, b, 50))
    relations = st.multiselect("Relation (décidée ou proposée)", RELATIONS, key="eq_relations",
                               format_func=lambda r: RELATION_FR[r])
    score_range: tuple[float, float] = st.slider("Score", 0.0, 1.0, step=0.01, key="eq_score")  # type: ignore[assignment]
    # Streamlit writes the slider's values with a decimal point: said again in French
    st.caption(f"Score de {fr_decimal(score_range[0])} à {fr_decimal(score_range[1])}")
    statuses = st.multiselect("Statut de revue", STATUSES, key="eq_statuses", format_func=lambda s: STATUS_FR[s])
    search = st.text_input("Rechercher (identifiant, intitulé, énoncé, explication)",
                           key="eq_search").strip().lower()
    one_way = st.checkbox("Une ligne par paire (sans l'orientation inverse)", key="eq_one_way")

# Filtered pairs, table, selector options and labels: computed once per version and filters, shared.
eqv = state.equivalence_view(snap, PairFilter(
    source_certs=tuple(src_certs), target_certs=tuple(tgt_certs), relations=tuple(relations),
    score_min=float(score_range[0]), score_max=float(score_range[1]), statuses=tuple(statuses),
    blocs=tuple(blocs), search=search, one_way=bool(one_way)), MAX_OPTIONS)
view = eqv.view

counts = state.counts(snap)
st.caption(f"{len(view)} paire(s) affichée(s) · {counts['pending']} proposée(s) à revoir, "
           f"{counts['validated']} validée(s), {counts['rejected']} rejetée(s) au total.")

if view.empty:
    st.info("Aucune paire ne correspond aux filtres.")
    st.stop()

selection = st.dataframe(
    eqv.table, hide_index=True, width="stretch", height=320, key="eq_table",
    on_select="rerun", selection_mode="single-row",
    column_config={"Score": st.column_config.TextColumn(width="small")},
)

# ---------------------------------------------------------------- one pair
options = list(eqv.options)
rows_sel = []
try:
    rows_sel = list(selection.selection.rows)
except AttributeError:
    rows_sel = []
if rows_sel:
    picked = f"{view.at[rows_sel[0], 'source']}|{view.at[rows_sel[0], 'target']}"
    if st.session_state.get("eq_last_row") != picked:  # a new click in the table drives the selector
        st.session_state["eq_last_row"] = picked
        if picked not in options:
            options.insert(0, picked)
        st.session_state["eq_pair"] = picked
kept = st.session_state.get("eq_pair")
if kept not in options:
    if kept and len(kept.split("|")) == 2 and state.has_pair(snap, *kept.split("|")):
        options.insert(0, kept)  # the pair chosen before (or opened from another page) stays selected
    else:
        st.session_state["eq_pair"] = options[0]


chosen = st.selectbox("Paire à examiner (ou cliquez une ligne du tableau)", options, key="eq_pair",
                      format_func=eqv.label)  # one dict lookup per option
source, target = chosen.split("|")
row = state.pair_row(snap, source, target)

st.divider()
st.subheader(f"{md(source)} ↔ {md(target)}")
BadgeColor = Literal["green", "orange", "gray", "blue", "red", "violet"]
BADGE: dict[str, BadgeColor] = {"equivalent": "green", "partial": "orange", "none": "gray"}
STATUS_BADGE: dict[str, BadgeColor] = {"validated": "blue", "rejected": "red"}
with st.container(horizontal=True):
    st.badge(f"Relation {RELATION_FR[row['relation']]}", color=BADGE[row["relation"]])
    if row["model_relation"] != row["relation"]:
        st.badge(f"proposée par le modèle : {RELATION_FR[row['model_relation']]}", color="gray")
    st.badge(md(capitalize_first(status_fr(row["status"], row["reviewer"], row["decided_at"]))),
             color=STATUS_BADGE.get(row["status"], "gray"))
    st.badge(f"Portée : {DIRECTION_FR.get(row['direction'], row['direction'])}", color="violet")
m = st.columns(5)
m[0].metric("Score", fr_decimal(row['score']),
            help="Probabilité qu'un chargé de certification retienne la paire (modèle de paires calibré)")
m[1].metric("Sémantique", fr_decimal(row['semantic']), help="Similarité des énoncés (modèle de phrases)")
m[2].metric("Lexical", fr_decimal(row['lexical']), help="Vocabulaire commun (énoncés et critères propres)")
if criteria_comparable(corpus, source, target):
    m[3].metric("Critères", fr_decimal(row['criteria']), help="Vocabulaire commun des critères propres")
else:  # critères shared by a whole bloc are never compared: a 0 would mean nothing
    m[3].metric("Critères", "—", help="Non comparés : l'une des compétences n'a pas de critères propres "
                                      "(critères communs à tout le bloc)")
m[4].metric("Rang", int(row["rank"]), help="Rang de la cible parmi les candidats de la source dans sa certification")
st.caption(md(f"Statut : {status_fr(row['status'], row['reviewer'], row['decided_at'])}"
              + (f" — note : {row['note']}" if row["note"] else "")))


def _side(column, comp_id: str, phrase: str, title: str) -> None:
    comp = corpus.competence(comp_id)
    cert = corpus.certification_of(comp_id)
    body, found = highlight_html(comp.statement, [whole_clause(comp.statement, phrase)])
    parts = [
        f"<div style='font-size:0.85em;color:#555'>{escape(title)} · {escape(cert_label(corpus, cert.id))}<br>"
        f"{escape(bloc_label(corpus, comp.bloc_id))}</div>",
        f"<p style='margin:0.4em 0'><b>{escape(comp.code)} — {escape(comp.title)}</b></p>",
        f"<p style='line-height:1.5'>{body}</p>",
    ]
    if not found and phrase:
        parts.append(f"<p style='font-size:0.85em'>Passage aligné : <mark>{escape(phrase)}</mark></p>")
    criteria = [cr.text for cr in cert.criteria_for(comp)]
    parts.append("<p style='margin:0.6em 0 0.2em 0'><b>Critères d'évaluation</b></p>")
    parts.append(html_list(criteria) or "<p><i>aucun critère</i></p>")
    modalities = [m.title or m.text for m in cert.modalities_for(comp)]
    if modalities:
        parts.append("<p style='margin:0.6em 0 0.2em 0'><b>Modalités d'évaluation</b></p>")
        parts.append(html_list(modalities))
    with column.container(border=True):
        st.html("".join(parts))


left, right = st.columns(2)
_side(left, source, row["source_phrase"], "Source")
_side(right, target, row["target_phrase"], "Cible")

st.markdown("**Explication**")
st.info(md(explanation_fr(explanation_of(row))))
if row["shared_terms"]:
    st.caption(md(f"Termes communs : {row['shared_terms']}"))
if st.toggle("Décomposer le score : contributions qui s'additionnent, et portée", key="eq_explain"):
    try:
        with st.spinner("Décomposition du score (première fois : chargement des modèles)…"):
            contrib, waterfall = state.pair_explanation(snap, source, target)
    except CrossrefError as exc:
        st.error(md(exc))
    else:
        st.caption(md(f"Portée « {DIRECTION_FR.get(row['direction'], row['direction'])} » : "
                      + direction_text(contrib["source_covers_target"], contrib["target_covers_source"])))
        st.plotly_chart(waterfall, width="stretch", key="eq_waterfall")

hist = state.pair_history(config, source, target, snap.version)
with st.expander(f"Historique des décisions ({len(hist)})"):
    if hist.empty:
        st.write("Aucune décision sur cette paire.")
    else:
        st.dataframe(history_table(hist), hide_index=True, width="stretch")

# ---------------------------------------------------------------- decision
st.subheader("Décision")
if st.session_state.pop("_eq_clear_note", False):
    st.session_state["eq_note"] = ""
known_reviewer, origin = state.fixed_reviewer()
typed = ""
with st.form("eq_decision", clear_on_submit=False):
    f1, f2 = st.columns(2)
    if known_reviewer:  # set once per session (or by the authenticating proxy): not editable
        f1.markdown(f"Évaluateur : **{md(known_reviewer)}**")
        f1.caption("identité transmise par le proxy d'authentification" if origin == "proxy"
                   else "fixé pour cette session (rechargez la page pour changer d'évaluateur)")
    elif origin == "proxy":
        f1.error(f"Identité non transmise par le proxy (en-tête {md(state.reviewer_header())}) : "
                 "aucune décision ne peut être enregistrée.")
    else:
        typed = f1.text_input("Évaluateur", key="eq_reviewer", max_chars=state.MAX_REVIEWER_CHARS,
                              placeholder="Votre nom (demandé une fois par session)")
    amend_to = f2.selectbox("Relation (pour « Modifier »)", RELATIONS, key=f"eq_amend_{source}_{target}",
                            index=RELATIONS.index(row["relation"]), format_func=lambda r: RELATION_FR[r])
    note = st.text_area("Note", key="eq_note", placeholder="Justification, source consultée…", height=80)
    b1, b2, b3 = st.columns(3)
    accept = b1.form_submit_button("Accepter", type="primary", key="eq_accept", width="stretch",
                                   help="Valider la relation proposée par le modèle")
    reject = b2.form_submit_button("Rejeter", key="eq_reject", width="stretch",
                                   help="Aucune relation : la paire ne sera plus proposée")
    amend = b3.form_submit_button("Modifier", key="eq_amend", width="stretch",
                                  help="Enregistrer la relation choisie ci-dessus")

action = "accept" if accept else "reject" if reject else "amend" if amend else None
if action:
    try:
        reviewer = state.session_reviewer(typed)
        d = state.decide(config, action, source, target, reviewer, note,
                         relation=amend_to if action == "amend" else None,
                         model_relation=str(row["model_relation"]))
    except CrossrefError as exc:
        st.error(f"Décision non enregistrée : {md(exc)}")
    else:
        verb = REVIEW_ACTION_FR[action]
        state.flash(f"Paire {d['source']} / {d['target']} {verb} (relation : {RELATION_FR[d['relation']]}) "
                    f"par {d['reviewer']} — décision n° {d['id']}.")
        st.session_state["_eq_clear_note"] = True
        st.rerun()
