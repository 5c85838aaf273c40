use super::*;
use crate::app::self_assessment::evidence as app_evidence;
use crate::describe::store_refusal_with_status;

// ── Evidence ────────────────────────────────────────────────────────────────────────────────

/// The uploaded file, or why the form is refused, to show in the leaf's row: no file chosen, a
/// body past the route's limit (a file too large, named when its part had begun), a field the
/// form does not have.
pub(super) async fn read_upload(
    upload: Upload<EvidenceForm>,
    lang: Lang,
) -> AppResult<Result<ReceivedFile, (StatusCode, String)>> {
    Ok(match upload.read().await {
        Ok(received) => received.file.ok_or_else(|| {
            let none = t(lang, "assessment.upload_none");
            (StatusCode::UNPROCESSABLE_ENTITY, none)
        }),
        Err(UploadRefusal::TooLarge {
            file_name: Some(name),
            size,
            ..
        }) => Ok(ReceivedFile {
            name,
            bytes: Vec::new(),
            size,
        }),
        Err(UploadRefusal::TooLarge { .. }) => return Err(AppError::TooLarge),
        Err(UploadRefusal::Invalid(refusal)) => {
            Err((refusal.status(), refusal.message().to_string()))
        }
    })
}

/// Uploads a document to a leaf: checked by content, stored once per content, linked to the
/// leaf (as self-assessment evidence, or as extra evidence of an answer).
#[tracing::instrument(skip_all, fields(sheet_id = %sheet, node_id = %node))]
pub async fn upload(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
    Path((sheet, node)): Path<(String, String)>,
    headers: HeaderMap,
    upload_form: Upload<EvidenceForm>,
) -> AppResult<Response> {
    let lang = context.lang;
    // Who may upload is settled before a byte of the body is read.
    let loaded = load_for_change(&state, &principal, &sheet, EDIT_ROLES).await?;
    let (node_id, _) = leaf_of(&loaded, &node)?;
    let limit = upload_form.file_limit();
    let refused = |status: StatusCode, error: String| {
        leaf_answer(
            &state,
            &context,
            &principal,
            &headers,
            &sheet,
            node_id,
            status,
            move |leaf| leaf.error = Some(error),
        )
    };
    let (raw_name, bytes, size) = match read_upload(upload_form, lang).await? {
        Ok(file) => (file.name, file.bytes, file.size),
        Err((status, message)) => return refused(status, message).await,
    };
    let name = evidence::sanitize_file_name(&raw_name);
    if size > limit {
        let error = UploadError::TooLarge {
            name: name.clone(),
            size,
            limit,
        };
        return refused(
            StatusCode::PAYLOAD_TOO_LARGE,
            upload_message(lang, &name, &error),
        )
        .await;
    }
    // The store checks the upload by its content: its refusal names the file as the unit
    // named it.
    let result = app_evidence::attach_upload(
        &state,
        &principal,
        &loaded,
        node_id,
        &raw_name,
        &bytes,
        limit,
        today(&state),
    )
    .await?;
    match result {
        Ok(_) => {
            leaf_answer(
                &state,
                &context,
                &principal,
                &headers,
                &sheet,
                node_id,
                StatusCode::OK,
                |leaf| leaf.saved_now = true,
            )
            .await
        }
        Err(StoreError::Upload(error)) => {
            refused(error.status(), upload_message(lang, &name, &error)).await
        }
        Err(error) => match store_refusal_with_status(lang, &error) {
            Some((status, text)) => refused(status, text).await,
            None => Err(error.into()),
        },
    }
}

/// Links a file the unit has already attached somewhere to another leaf (stored once).
#[tracing::instrument(skip_all, fields(sheet_id = %sheet, node_id = %node))]
pub async fn link(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
    Path((sheet, node)): Path<(String, String)>,
    headers: HeaderMap,
    Form(pairs): Form<Pairs>,
) -> AppResult<Response> {
    let lang = context.lang;
    let loaded = load_for_change(&state, &principal, &sheet, EDIT_ROLES).await?;
    let (node_id, _) = leaf_of(&loaded, &node)?;
    let file_id: Option<i64> = field(&pairs, "file_id").and_then(|v| v.trim().parse().ok());
    let result = match file_id {
        Some(id) => {
            app_evidence::attach_own(&state, &principal, &loaded, node_id, id, today(&state))
                .await?
                .map(Some)
        }
        None => Ok(None),
    };
    let (status, error) = match result {
        Ok(Some(())) => (StatusCode::OK, None),
        Ok(None) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(t(lang, "assessment.link_none")),
        ),
        Err(error) => match store_refusal_with_status(lang, &error) {
            Some((status, text)) => (status, Some(text)),
            None => return Err(error.into()),
        },
    };
    leaf_answer(
        &state,
        &context,
        &principal,
        &headers,
        &sheet,
        node_id,
        status,
        move |leaf| {
            leaf.saved_now = error.is_none();
            leaf.error = error;
        },
    )
    .await
}

/// Removes a file from a leaf (the file stays stored: other links and the log refer to it).
#[tracing::instrument(skip_all, fields(sheet_id = %sheet, link_id = %link))]
pub async fn unlink(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
    Path((sheet, link)): Path<(String, String)>,
    headers: HeaderMap,
) -> AppResult<Response> {
    let lang = context.lang;
    let loaded = load_for_change(&state, &principal, &sheet, EDIT_ROLES).await?;
    let link_id = parse_id(&link)?;
    let (node_id, outcome) =
        app_evidence::remove(&state, &principal, &loaded, link_id, today(&state)).await?;
    let (status, error) = match outcome {
        Ok(()) => (StatusCode::OK, None),
        Err(error) => match store_refusal_with_status(lang, &error) {
            Some((status, text)) => (status, Some(text)),
            None => return Err(error.into()),
        },
    };
    leaf_answer(
        &state,
        &context,
        &principal,
        &headers,
        &sheet,
        node_id,
        status,
        move |leaf| {
            leaf.saved_now = error.is_none();
            leaf.error = error;
        },
    )
    .await
}

/// `filename*` of RFC 5987: UTF-8, percent-encoded.
pub(super) fn rfc5987(value: &str) -> String {
    let mut out = String::new();
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// An ASCII stand-in for old clients: Vietnamese letters without their marks, anything else
/// that could break the header replaced.
pub(super) fn ascii_name(value: &str) -> String {
    value
        .chars()
        .map(|c| match c {
            'à' | 'á' | 'ả' | 'ã' | 'ạ' | 'ă' | 'ằ' | 'ắ' | 'ẳ' | 'ẵ' | 'ặ' | 'â' | 'ầ' | 'ấ'
            | 'ẩ' | 'ẫ' | 'ậ' => 'a',
            'À' | 'Á' | 'Ả' | 'Ã' | 'Ạ' | 'Ă' | 'Ằ' | 'Ắ' | 'Ẳ' | 'Ẵ' | 'Ặ' | 'Â' | 'Ầ' | 'Ấ'
            | 'Ẩ' | 'Ẫ' | 'Ậ' => 'A',
            'è' | 'é' | 'ẻ' | 'ẽ' | 'ẹ' | 'ê' | 'ề' | 'ế' | 'ể' | 'ễ' | 'ệ' => {
                'e'
            }
            'È' | 'É' | 'Ẻ' | 'Ẽ' | 'Ẹ' | 'Ê' | 'Ề' | 'Ế' | 'Ể' | 'Ễ' | 'Ệ' => {
                'E'
            }
            'ì' | 'í' | 'ỉ' | 'ĩ' | 'ị' => 'i',
            'Ì' | 'Í' | 'Ỉ' | 'Ĩ' | 'Ị' => 'I',
            'ò' | 'ó' | 'ỏ' | 'õ' | 'ọ' | 'ô' | 'ồ' | 'ố' | 'ổ' | 'ỗ' | 'ộ' | 'ơ' | 'ờ' | 'ớ'
            | 'ở' | 'ỡ' | 'ợ' => 'o',
            'Ò' | 'Ó' | 'Ỏ' | 'Õ' | 'Ọ' | 'Ô' | 'Ồ' | 'Ố' | 'Ổ' | 'Ỗ' | 'Ộ' | 'Ơ' | 'Ờ' | 'Ớ'
            | 'Ở' | 'Ỡ' | 'Ợ' => 'O',
            'ù' | 'ú' | 'ủ' | 'ũ' | 'ụ' | 'ư' | 'ừ' | 'ứ' | 'ử' | 'ữ' | 'ự' => {
                'u'
            }
            'Ù' | 'Ú' | 'Ủ' | 'Ũ' | 'Ụ' | 'Ư' | 'Ừ' | 'Ứ' | 'Ử' | 'Ữ' | 'Ự' => {
                'U'
            }
            'ỳ' | 'ý' | 'ỷ' | 'ỹ' | 'ỵ' => 'y',
            'Ỳ' | 'Ý' | 'Ỷ' | 'Ỹ' | 'Ỵ' => 'Y',
            'đ' => 'd',
            'Đ' => 'D',
            c if c.is_ascii_graphic() && c != '"' && c != '\\' && c != ';' => c,
            ' ' => ' ',
            _ => '_',
        })
        .collect()
}

/// Whether the browser shows a file itself (`inline`: PDF and pictures, whose type the upload
/// check read from their bytes) or saves it (`attachment`: everything else, such as office
/// documents and archives).
fn disposition_kind(content_type: &str) -> &'static str {
    match content_type {
        "application/pdf" | "image/png" | "image/jpeg" | "image/gif" | "image/webp" => "inline",
        _ => "attachment",
    }
}

/// Opens an evidence file (PDF and pictures in the browser, other files downloaded), for
/// those who may read a sheet that links it.
#[tracing::instrument(skip_all, fields(file_id = %file))]
pub async fn download(
    State(state): State<AppState>,
    Auth(principal, _context): Auth,
    Path(file): Path<String>,
) -> AppResult<Response> {
    let file_id = parse_id(&file)?;
    let all_units = units::list(&state.db).await?;
    // The name of the first readable sheet's link: each unit downloads under its own name.
    let mut allowed = None;
    for sheet in evidence::sheets_linking(&state.db, file_id).await? {
        let status = assessments::get_sheet(&state.db, sheet.sheet_id)
            .await?
            .status();
        let campaign = chiso_store::campaigns::get(&state.db, sheet.campaign_id)
            .await?
            .state();
        let roles = unit_roles(&principal, &all_units, sheet.unit_id);
        if may_read(&principal, &roles, status, campaign) {
            allowed = Some(sheet.file_name);
            break;
        }
    }
    // A file one may not read answers as one that does not exist: ids are not enumerable.
    let name = allowed.ok_or(AppError::NotFound)?;
    let (row, bytes) = evidence::read_file(&state.db, state.blobs.as_ref(), file_id).await?;
    Ok(file_response(&row, bytes, &name))
}

/// A stored file as the browser opens it (PDF and pictures inline, others downloaded) under
/// `name`, never sniffed or cached.
pub(crate) fn file_response(row: &evidence::EvidenceFile, bytes: Vec<u8>, name: &str) -> Response {
    let disposition = format!(
        "{}; filename=\"{}\"; filename*=UTF-8''{}",
        disposition_kind(&row.content_type),
        ascii_name(name),
        rfc5987(name)
    );
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(&row.content_type)
            .unwrap_or(HeaderValue::from_static("application/octet-stream")),
    );
    headers.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_str(&disposition).unwrap_or(HeaderValue::from_static("attachment")),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    response
}
