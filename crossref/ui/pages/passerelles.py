"""Passerelles / VAE: what a holder of a certification (or of some blocs), or a described experience,
already has of a target certification, bloc by bloc."""

import hashlib

import pandas as pd
import streamlit as st

from crossref.errors import CrossrefError
from crossref.figures import passerelle_bar
from crossref.labels import COMPETENCE_MISSING, COMPETENCE_PARTIAL, STATUS_FULL, STATUS_PARTIAL
from crossref.mdsafe import escape_markdown as md
from crossref.passerelles import MAX_VAE_CHARS, passerelle, passerelle_table, vae
from crossref.ui import state
from crossref.ui.components import RELATION_FR, bloc_label, cert_label, comp_label, pct

st.title("Passerelles / VAE")
snap = state.load_or_stop()
results = snap.results
corpus = results.corpus
ids = corpus.ids


def _status_box(result: dict) -> None:
    text = f"**{md(result['status'].capitalize())}** — couverture globale {pct(result['coverage'])}. " \
           f"{md(result.get('explanation', ''))}"
    if result["status"] == STATUS_FULL:
        st.success(text)
    elif result["status"] == STATUS_PARTIAL:
        st.warning(text)
    else:
        st.info(text)  # not st.error: "non couvert" is a result, not a failure


def _bloc_details(result: dict, vae_mode: bool) -> None:
    target = corpus.certification(result["to"])
    for b in result["blocs"]:
        icon = {STATUS_FULL: "✅", STATUS_PARTIAL: "🟡"}.get(b["status"], "⬜")
        with st.expander(f"{icon} {md(bloc_label(corpus, b['bloc']))} — {b['status']} ({pct(b['coverage'])})"):
            if b["matched"]:
                st.markdown("**Compétences couvertes**")
                if vae_mode:
                    df = pd.DataFrame([{
                        "Compétence": comp_label(corpus, m["target"]),
                        "Phrase de l'expérience": m["sentence"],
                        "Score": m["score"],
                        "Relation": RELATION_FR.get(m["relation"], m["relation"]),
                    } for m in b["matched"]])
                else:
                    df = pd.DataFrame([{
                        "Compétence détenue": comp_label(corpus, m["source"]),
                        "Compétence visée": comp_label(corpus, m["target"]),
                        "Score": m["score"],
                        "Relation": RELATION_FR.get(m["relation"], m["relation"]),
                        "Explication": m["explanation"],
                    } for m in b["matched"]])
                st.dataframe(df, hide_index=True, width="stretch")
            else:
                st.write("Aucune compétence de ce bloc n'est couverte.")
            partial = set(b.get("partial", []))
            missing = [c for c in b["missing"]]
            if missing:
                st.markdown(f"**Compétences {COMPETENCE_MISSING}**" + (" (partiellement couvertes : à compléter)"
                                                                       if partial else ""))
                st.dataframe(pd.DataFrame([{
                    "Compétence": comp_label(corpus, c, 120),
                    "État": COMPETENCE_PARTIAL if c in partial else COMPETENCE_MISSING,
                    "Critères": len(target.criteria_for(corpus.competence(c))),
                } for c in missing]), hide_index=True, width="stretch")


def _download(result: dict, vae_mode: bool, key: str) -> None:
    name = f"vae_{result['to']}.xlsx" if vae_mode else f"passerelle_{result['from']}_{result['to']}.xlsx"
    st.download_button("Télécharger (Excel)", data=lambda: state.passerelle_workbook_bytes(result, corpus),
                       file_name=name, key=key, icon=":material/download:",
                       mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


def _show(result: dict, vae_mode: bool, key: str) -> None:
    _status_box(result)
    st.plotly_chart(passerelle_bar(result), width="stretch", key=f"{key}_bar")
    table = passerelle_table(result)
    st.dataframe(pd.DataFrame({
        "Bloc": [bloc_label(corpus, b, 60) for b in table["bloc"]],
        "Couverture": table["coverage"],
        "Statut": table["status"],
        "Compétences": table["competences"],
        "Couvertes": table["matched_count"],
        COMPETENCE_MISSING.capitalize(): [len([x for x in m.split("; ") if x]) for m in table["missing"]],
    }), hide_index=True, width="stretch",
        column_config={"Couverture": st.column_config.ProgressColumn(format="percent", min_value=0, max_value=1)})
    _bloc_details(result, vae_mode)
    _download(result, vae_mode, f"{key}_download")


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
            blocs = st.multiselect(f"Blocs détenus de {held}", all_blocs, default=all_blocs, key=f"pa_blocs_{held}",
                                   format_func=lambda b: bloc_label(corpus, b, 70))
        if not blocs:
            st.info("Choisissez au moins un bloc détenu.")
        else:
            try:
                result = passerelle(results.pairs, corpus, held, target, results.config.passerelles, blocs=blocs)
            except CrossrefError as exc:
                st.error(md(exc))
            else:
                _show(result, False, "pa")

with tab_v:
    target_v = st.selectbox("Certification visée", ids, key="vae_to", format_func=lambda c: cert_label(corpus, c))
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
                with st.spinner("Analyse de l'expérience (première fois : chargement du modèle)…", show_time=True):
                    st.session_state["vae_result"] = (key, vae(results, text, target_v))
            except CrossrefError as exc:
                st.session_state.pop("vae_result", None)
                st.error(md(exc))
    stored = st.session_state.get("vae_result")
    if stored and stored[0] == key:
        result = stored[1]
        st.markdown(f"**{len(result['evidenced'])} compétence(s) de {md(target_v)} attestée(s)** par "
                    f"{len(result['sentences'])} phrase(s).")
        if result["evidenced"]:
            st.dataframe(pd.DataFrame([{
                "Compétence": comp_label(corpus, e["competence"]),
                "Bloc": e["bloc"],
                "Score": e["score"],
                "Relation": RELATION_FR.get(e["relation"], e["relation"]),
                "Phrases": " | ".join(s["text"] for s in e["sentences"]),
            } for e in result["evidenced"]]), hide_index=True, width="stretch",
                column_config={"Score": st.column_config.ProgressColumn(format="%.2f", min_value=0, max_value=1)})
        _show(result, True, "vae")
    elif stored and text.strip():
        st.caption("Le texte ou la cible ont changé : cliquez sur « Analyser l'expérience ».")
