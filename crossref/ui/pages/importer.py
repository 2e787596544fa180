"""Importer un référentiel: upload a template CSV / Excel or a France Compétences XML fiche, see it
validated and previewed, then add it to the corpus (saved under <data_dir>/imported/ only then)."""

import streamlit as st

from crossref.errors import CrossrefError
from crossref.mdsafe import escape_markdown as md
from crossref.parsing import MAX_INPUT_BYTES
from crossref import views
from crossref.ui import state
from crossref.views import import_changes, import_changes_text

st.title("Importer un référentiel")
state.show_flash()
try:
    config = state.get_config()
except CrossrefError as exc:
    st.error(f"Configuration invalide : {md(exc)}")
    st.stop()

st.write(
    "Formats acceptés : le **modèle crossref** en CSV (UTF-8, virgule) ou Excel (.xlsx, première feuille) — "
    "colonnes `certification, certification_title, bloc_code, bloc_title, competence_code, "
    "competence_title, statement, criteria` — une **fiche XML France Compétences** (open data RNCP/RS), "
    "ou le **texte d'un référentiel de BTS** (.txt extrait du PDF officiel, comme en ligne de commande). "
    f"Taille maximale : {MAX_INPUT_BYTES // (1024 * 1024)} Mo. Le fichier est vérifié et prévisualisé ; "
    "rien n'est enregistré tant que vous ne l'avez pas ajouté."
)
with st.expander("Exemple de modèle CSV"):
    from pathlib import Path

    example = Path(config.data_dir) / "templates" / "exemple_modele.csv"
    if example.is_file():
        st.download_button("Télécharger l'exemple", data=example.read_bytes(), file_name=example.name,
                           mime="text/csv", key="imp_example")
    st.code("certification,certification_title,bloc_code,bloc_title,competence_code,competence_title,"
            "statement,criteria\nEXEMPLE,Conseiller relation client,B1,Accueillir et conseiller le client,"
            "C1.1,Accueillir le client,\"Accueillir le client en magasin…\",Critère 1 | Critère 2",
            language="text")



def _pairs_now():
    """The pairs table on screen now (to say afterwards what an import or a removal changed)."""
    try:
        snap = state.snapshot(config)
    except CrossrefError:
        return None
    return getattr(getattr(snap, "results", None), "pairs", None)


def _flash_changes(before, after) -> None:
    if before is not None and after is not None:
        state.flash(import_changes_text(import_changes(before, after)), "info")


nonce = st.session_state.setdefault("imp_nonce", 0)
uploaded = st.file_uploader("Fichier du référentiel", type=[s.lstrip(".") for s in state.UPLOAD_SUFFIXES],
                            key=f"imp_file_{nonce}")
# Streamlit writes its own uploader texts in English: said here in French.
st.caption("Glissez le fichier dans le cadre ci-dessus ou cliquez sur « Browse files » (parcourir) ; "
           f"formats .csv, .xlsx, .xml ou .txt, {MAX_INPUT_BYTES // (1024 * 1024)} Mo au plus.")

if uploaded is not None:
    data = uploaded.getvalue()
    ident = (uploaded.name, len(data), hash(data))
    cached = st.session_state.get("imp_checked")
    if cached is None or cached[0] != ident:
        try:
            upload = state.validate_upload(config, uploaded.name, data)
        except CrossrefError as exc:
            st.session_state["imp_checked"] = (ident, None, str(exc))
        else:
            st.session_state["imp_checked"] = (ident, upload, "")
    _, upload, problem = st.session_state["imp_checked"]
    if upload is None:
        st.error(f"Fichier refusé, rien n'a été enregistré. {md(problem)}")
    else:
        st.success(md(f"{upload.original_name} : fichier valide — "
                      + ", ".join(f"{c.id} ({len(c.blocs)} blocs, {len(c.competences)} compétences)"
                                  for c in upload.certifications)))
        for cert in upload.certifications:
            st.subheader(md(cert.label))
            st.dataframe(views.certification_preview_table(cert), hide_index=True, width="stretch")
        st.caption(f"Sera enregistré sous {md(state.IMPORTED_DIR + '/' + upload.filename)} ; les correspondances "
                   "seront recalculées avec ce référentiel (quelques dizaines de secondes).")
        if st.button("Ajouter au corpus", type="primary", key="imp_add", icon=":material/add:"):
            before = _pairs_now()
            try:
                state.save_upload(config, upload)
            except CrossrefError as exc:
                st.error(f"Ajout impossible : {md(exc)}")
            else:
                st.session_state.pop("imp_checked", None)
                st.session_state["imp_nonce"] = nonce + 1  # empties the uploader
                after = None
                try:  # match the new référentiel against the others now, with progress shown here
                    snap = state.snapshot(config)
                    after = getattr(getattr(snap, "results", None), "pairs", None)
                except CrossrefError as exc:
                    state.flash(f"Référentiel ajouté, mais le calcul a échoué : {exc}", "error")
                state.flash(f"{upload.filename} ajouté : "
                            + ", ".join(c.id for c in upload.certifications) + " fait désormais partie du corpus.")
                _flash_changes(before, after)
                st.rerun()

st.subheader("Référentiels importés")
summary = state.imported_summary(config)
if summary.empty:
    st.write("Aucun référentiel importé : le corpus est celui des référentiels intégrés.")
else:
    st.dataframe(summary, hide_index=True, width="stretch")
    c1, c2 = st.columns([3, 1], vertical_alignment="bottom")
    to_remove = c1.selectbox("Retirer un référentiel importé", summary["Fichier"].tolist(), key="imp_remove_name")
    if c2.button("Retirer…", key="imp_remove", icon=":material/delete:", width="stretch"):
        st.session_state["imp_remove_pending"] = to_remove
    pending = st.session_state.get("imp_remove_pending")
    if pending == to_remove:  # a destructive action: confirmed first
        st.warning(md(f"Retirer {pending} du corpus ? Ses correspondances disparaîtront des matrices, "
                      "passerelles et exports (les décisions enregistrées sont conservées)."))
        k1, k2 = st.columns(2)
        if k1.button("Confirmer le retrait", key="imp_remove_confirm", type="primary", width="stretch"):
            st.session_state.pop("imp_remove_pending", None)
            before = _pairs_now()
            try:
                state.remove_imported(config, pending)
            except CrossrefError as exc:
                st.error(md(exc))
            else:
                state.flash(f"{pending} retiré du corpus.")
                _flash_changes(before, _pairs_now())
                st.rerun()
        if k2.button("Annuler", key="imp_remove_cancel", width="stretch"):
            st.session_state.pop("imp_remove_pending", None)
            st.rerun()
