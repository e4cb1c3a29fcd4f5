package io.finconn.sample

import android.annotation.SuppressLint
import android.view.LayoutInflater
import android.view.View
import android.view.ViewGroup
import android.widget.Button
import android.widget.TextView
import androidx.recyclerview.widget.DiffUtil
import androidx.recyclerview.widget.ListAdapter
import androidx.recyclerview.widget.RecyclerView
import io.finconn.Account

/**
 * The linked accounts: the core's display line, its relink badges and a Relink button. Tapping a
 * row opens the account screen.
 */
class AccountAdapter(
    private val onOpen: (Account) -> Unit,
    private val onRelink: (Account) -> Unit,
) : ListAdapter<Account, AccountAdapter.Holder>(Diff) {

    /** Off while a flow runs. */
    var relinkEnabled: Boolean = true
        @SuppressLint("NotifyDataSetChanged")
        set(value) {
            if (field != value) {
                field = value
                notifyDataSetChanged()
            }
        }

    class Holder(view: View) : RecyclerView.ViewHolder(view) {
        val line: TextView = view.findViewById(R.id.account_line)
        val badge: TextView = view.findViewById(R.id.account_badge)
        val relink: Button = view.findViewById(R.id.relink_button)
    }

    override fun onCreateViewHolder(parent: ViewGroup, viewType: Int): Holder =
        Holder(LayoutInflater.from(parent.context).inflate(R.layout.item_account, parent, false))

    override fun onBindViewHolder(holder: Holder, position: Int) {
        val account: Account = getItem(position)
        val context = holder.itemView.context
        holder.line.text = account.displayLine
        holder.itemView.setOnClickListener { onOpen(account) }

        val deadline = account.relinkRequiredByUnixSeconds
        val badge = when {
            account.needsRelinkNow -> context.getString(R.string.badge_needs_relink)
            deadline != null -> context.getString(R.string.badge_relink_by, UserMessages.date(deadline))
            else -> null
        }
        holder.badge.text = badge
        holder.badge.visibility = if (badge != null) View.VISIBLE else View.GONE

        // The core flags the accounts a relink repairs; a relink needs the account's authorization.
        val canRelink = (account.needsRelinkNow || deadline != null) && account.authorization != null
        holder.relink.visibility = if (canRelink) View.VISIBLE else View.GONE
        holder.relink.isEnabled = relinkEnabled
        holder.relink.setOnClickListener { onRelink(account) }
    }

    private object Diff : DiffUtil.ItemCallback<Account>() {
        override fun areItemsTheSame(oldItem: Account, newItem: Account): Boolean = oldItem.id == newItem.id
        override fun areContentsTheSame(oldItem: Account, newItem: Account): Boolean = oldItem == newItem
    }
}
