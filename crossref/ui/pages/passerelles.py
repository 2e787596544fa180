"""Passerelles / VAE: what a holder of a certification (or of some blocs), or a described experience,
already has of a target certification, bloc by bloc."""

import hashlib
import re
import unicodedata
from datetime import datetime, timezone

import streamlit as st

from crossref.errors import CrossrefError
from crossref.figures import passerelle_bar
from crossref.labels import COMPETENCE_MISSING, COMPETENCE_PARTIAL, STATUS_FULL, STATUS_PARTIAL
from crossref.mdsafe import escape_markdown as md
from crossref import vae as vae_tables
from crossref import views
from crossref.labels import capitalize_first, de
from crossref.passerelles import MAX_VAE_CHARS, passerelle, vae_from_similarity, vae_scores
from crossref.explanations import explain_credited
from crossref.ui import state
from crossref.ui.components import bloc_label, cert_label, comp_label, pct

st.title("Passerelles / VAE")
snap = state.load_or_stop()
results = snap.results
corpus = results.corpus
ids = corpus.ids


def _status_box(result: dict) -> None:
    text = f"**{md(capitalize_first(result['status']))}** — couverture globale {pct(result['coverage'])}. " \
           f"{md(result.get('explanation', ''))}"
    if result["status"] == STATUS_FULL:
        st.success(text)
    elif result["status"] == STATUS_PARTIAL:
        st.warning(text)
    else:
        st.info(text)  # not st.error: "non couvert" is a result, not a failure


def _bloc_details(result: dict, vae_mode: bool) -> None:
    for b in result["blocs"]:
        icon = {STATUS_FULL: "✅", STATUS_PARTIAL: "🟡"}.get(b["status"], "⬜")
        with st.expander(f"{icon} {md(bloc_label(corpus, b['bloc']))} — {b['status']} ({pct(b['coverage'])})"):
            if b["matched"]:
                st.markdown("**Compétences couvertes**")
                df = views.bloc_matched_table(b, corpus, vae_mode)
                picked = st.dataframe(df, hide_index=True, width="stretch", key=f"pa_matched_{b['bloc']}",
                                      on_select="rerun" if not vae_mode else "ignore",
                                      selection_mode="single-row")
                if not vae_mode:  # from a passerelle row to the pair's review
                    rows = list(getattr(getattr(picked, "selection", None), "rows", []) or [])
                    m = b["matched"][rows[0] if rows else 0]
                    if st.button(f"Examiner la paire {m['source']} → {m['target']} dans Équivalences",
                                 key=f"pa_open_{b['bloc']}", icon=":material/open_in_new:"):
                        state.open_pair(m["source"], m["target"], m["relation"])
            else:
                st.write("Aucune compétence de ce bloc n'est couverte.")
            n_partial, missing = views.bloc_missing_table(b, corpus, result["to"])
            if n_partial:
                st.caption(f"{n_partial} compétence(s) {COMPETENCE_PARTIAL}(s) ci-dessus : à compléter.")
            if len(missing):
                st.markdown(f"**Compétences {COMPETENCE_MISSING}** (aucune correspondance)")
                st.dataframe(missing, hide_index=True, width="stretch")


def _download(result: dict, vae_mode: bool, key: str, candidate: str = "", analysed_at: str = "") -> None:
    if vae_mode:
        slug = re.sub(r"[^A-Za-z0-9_-]+", "_", unicodedata.normalize("NFKD", candidate).encode("ascii", "ignore")
                      .decode("ascii")).strip("_")[:40] or "dossier"
        name = f"vae_{slug}_{result['to']}.xlsx"
        data = lambda: vae_tables.workbook_bytes(result, candidate, analysed_at)  # noqa: E731
    else:
        name = f"passerelle_{result['from']}_{result['to']}.xlsx"
        data = lambda: state.passerelle_workbook_bytes(result, corpus)  # noqa: E731
    st.download_button("Télécharger (Excel)", data=data, file_name=name, key=key, icon=":material/download:",
                       mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


def _show(result: dict, vae_mode: bool, key: str, candidate: str = "", analysed_at: str = "") -> None:
    _status_box(result)
    st.plotly_chart(passerelle_bar(result), width="stretch", key=f"{key}_bar")
    st.dataframe(views.passerelle_blocs_table(result, corpus), hide_index=True, width="stretch",
                 column_config={"Couverture": st.column_config.ProgressColumn(format="%d %%", min_value=0,
                                                                              max_value=100)})
    if not vae_mode:  # a VAE shows every competence above, with its evidence
        _bloc_details(result, vae_mode)
    _download(result, vae_mode, f"{key}_download", candidate, analysed_at)


tab_p, tab_v = st.tabs(["Passerelle depuis une certification", "VAE : décrire une expérience"])

with tab_p:
    if len(ids) < 2:
        st.info("Il faut au moins deux certifications.")
    else:
        c1, c2 = st.columns(2)
        held = c1.selectbox("Certification détenue", ids, key="pa_from", format_func=lambda c: cert_label(corpus, c))
        targets = [c for c in ids if c != held]
        if st.session_state.get("pa_to") not in targets:
            st.session_state["pa_to"] = targets[0]
        target = c2.selectbox("Certification visée", targets, key="pa_to",
                              format_func=lambda c: cert_label(corpus, c))
        held_cert = corpus.certification(held)
        all_blocs = [b.id for b in held_cert.blocs]
        if held_cert.indivisible:
            st.caption(f"{md(held)} est indivisible (RS) : elle se détient en entier.")
            blocs = all_blocs
        else:
            blocs = st.multiselect(f"Blocs détenus {de(held)}", all_blocs, default=all_blocs, key=f"pa_blocs_{held}",
                                   format_func=lambda b: bloc_label(corpus, b, 70))
        if not blocs:
            st.info("Choisissez au moins un bloc détenu.")
        else:
            try:
                result = passerelle(explain_credited(results.pairs), corpus, held, target, results.config.passerelles, blocs=blocs)
            except CrossrefError as exc:
                st.error(md(exc))
            else:
                _show(result, False, "pa")

def _vae_competences(result: dict) -> None:
    """Every competence of the target, decisive columns first; near misses visible and sortable."""
    shown = st.segmented_control("Afficher", list(views.VAE_FILTERS), default="toutes", key="vae_show")
    table = views.vae_competence_view(vae_tables.competence_table(result), corpus, shown or "toutes")
    st.dataframe(table, hide_index=True, width="stretch", height=min(38 + 35 * len(table), 460),
        column_config={"Score": st.column_config.TextColumn(width="small"),
                       "Compétence": st.column_config.TextColumn(width="medium"),
                       "Meilleure preuve": st.column_config.TextColumn(width="large")})


def _vae_decision_form(result: dict, candidate: str) -> None:
    """The advisor confirms, rejects or adds evidence; kept in the decision store with a note."""
    st.markdown("**Décision de l'accompagnateur**")
    if not candidate.strip():
        st.info("Indiquez le candidat (nom ou référence du dossier) pour enregistrer des décisions.")
        return
    with st.form("vae_decision", clear_on_submit=True):
        f1, f2 = st.columns([3, 2])
        cid = f1.selectbox("Compétence", views.vae_decision_order(result), key="vae_dec_comp",
                           format_func=lambda c: comp_label(corpus, c, 90))
        action = f2.radio("Décision", ["confirm", "reject", "add"], horizontal=True, key="vae_dec_action",
                          format_func=lambda a: {"confirm": "Confirmer la preuve", "reject": "Rejeter la preuve",
                                                 "add": "Ajouter une preuve"}[a])
        relation = f2.radio("Niveau", ["partial", "equivalent"], horizontal=True, key="vae_dec_rel",
                            format_func=lambda r: {"partial": "en partie", "equivalent": "pleinement"}[r])
        evidence = f1.text_area("Preuve ajoutée (pour « Ajouter une preuve »)", key="vae_dec_evidence", height=68)
        note = f1.text_input("Note", key="vae_dec_note")
        known, _origin = state.fixed_reviewer()
        typed = known or f2.text_input("Accompagnateur", key="vae_dec_reviewer", max_chars=state.MAX_REVIEWER_CHARS)
        if st.form_submit_button("Enregistrer la décision", type="primary"):
            try:
                reviewer = state.session_reviewer(typed)
                state.vae_decide(config, candidate, result["to"], cid, action, reviewer, relation, evidence, note)
            except CrossrefError as exc:
                st.error(md(exc))
            else:
                state.flash(f"Décision enregistrée pour {cid} ({candidate}) par {reviewer}.")
                st.rerun()


with tab_v:
    # No background warm-up: a thread importing or building code while Streamlit parses a page
    # trips a CPython 3.11 bug ("AST constructor recursion depth mismatch"); the first analysis
    # of a process loads the models under a spinner instead.
    config = snap.config
    c1, c2 = st.columns([2, 3])
    candidate = c1.text_input("Candidat (nom ou référence du dossier)", key="vae_candidate", max_chars=120)
    target_v = c2.selectbox("Certification visée", ids, key="vae_to", format_func=lambda c: cert_label(corpus, c))
    text = st.text_area(
        "Description de l'expérience (une activité par phrase ou par ligne)", key="vae_text", height=200,
        max_chars=MAX_VAE_CHARS,
        placeholder="Ex. : J'accueille les clients en magasin et je traite leurs réclamations. "
                    "Je prépare des tableaux de bord de suivi des ventes pour mon responsable…")
    run = st.button("Analyser l'expérience", key="vae_run", type="primary")
    key = hashlib.sha256(f"{snap.key}|{target_v}|{text}".encode()).hexdigest()[:16]
    if run:
        if not text.strip():
            st.error("Décrivez d'abord l'expérience (au moins une phrase).")
        else:
            try:
                with st.spinner("Analyse de l'expérience… (la première analyse charge les modèles : quelques secondes)"):
                    st.session_state["vae_scores"] = (key, vae_scores(results, text, target_v),
                                                      datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"))
            except CrossrefError as exc:
                st.session_state.pop("vae_scores", None)
                st.error(md(exc))
    stored = st.session_state.get("vae_scores")
    if stored and stored[0] == key:
        scores, analysed_at = stored[1], stored[2]
        try:
            decisions = state.vae_decisions(config, candidate, target_v)
        except CrossrefError as exc:
            st.error(md(exc))
            decisions = None
        result = vae_from_similarity(scores["sentences"], scores["similarity"], corpus, target_v,
                                     results.config.passerelles, scores["ids"], scores["units"], decisions)
        st.markdown(views.vae_summary_text(result))
        _vae_competences(result)
        _vae_decision_form(result, candidate)
        _show(result, True, "vae", candidate=candidate, analysed_at=analysed_at)
    elif stored and text.strip():
        st.caption("Le texte ou la cible ont changé : cliquez sur « Analyser l'expérience ».")
